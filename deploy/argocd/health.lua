-- Argo CD health check for sluice.dev/Rollout (argocd-cm: resource.customizations.health.sluice.dev_Rollout).
-- Healthy -> Healthy; Initializing, Progressing, Promoting -> Progressing; Paused -> Suspended;
-- RolledBack, Invalid -> Degraded. A spec the controller has not observed yet is Progressing.
-- Lua 5.1 (gopher-lua), no standard library beyond the base functions.
local hs = { status = "Progressing", message = "Waiting for the Sluice controller to observe the Rollout" }
local status = obj.status
if status == nil or status.phase == nil then
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration < generation then
  hs.message = "Waiting for the Sluice controller to observe generation " .. tostring(generation)
  return hs
end
local phases = {
  Healthy = "Healthy",
  Initializing = "Progressing",
  Progressing = "Progressing",
  Promoting = "Progressing",
  Paused = "Suspended",
  RolledBack = "Degraded",
  Invalid = "Degraded",
}
hs.status = phases[status.phase] or "Unknown"
local reason = status.reason or status.phase
if status.message ~= nil and status.message ~= "" then
  hs.message = reason .. ": " .. status.message
else
  hs.message = reason
end
return hs
