-- Argo CD resource actions for sluice.dev/Rollout: the same commands as `sluice promote|abort|retry|pause|resume`,
-- offered where the controller can act on them. No string library here (Argo CD runs actions without it).
local actions = {}
local phase = nil
local reason = nil
if obj.status ~= nil then
  phase = obj.status.phase
  reason = obj.status.reason
end
local running = phase == "Progressing" or phase == "Paused" or phase == "Promoting"
actions["promote"] = { ["disabled"] = not (phase == "Progressing" or phase == "Paused"), ["iconClass"] = "fa fa-fw fa-forward" }
actions["abort"] = { ["disabled"] = not running, ["iconClass"] = "fa fa-fw fa-stop" }
actions["retry"] = { ["disabled"] = phase ~= "RolledBack", ["iconClass"] = "fa fa-fw fa-redo-alt" }
actions["pause"] = { ["disabled"] = not (phase == "Progressing" or (phase == "Paused" and reason ~= "ManualPause")), ["iconClass"] = "fa fa-fw fa-pause-circle" }
actions["resume"] = { ["disabled"] = phase ~= "Paused", ["iconClass"] = "fa fa-fw fa-play-circle" }
return actions
