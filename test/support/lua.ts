/**
 * Runs Argo CD's Lua scripts (deploy/argocd/) with a real Lua 5.1 interpreter (Debian `lua5.1`;
 * Argo CD runs gopher-lua, Lua 5.1 semantics), in the environment Argo CD gives them: the global
 * `obj`, the base functions, `table`, and an `os` with only `time` and `date` (`require("os")`);
 * no `string`, `math` or `io` (argo-cd util/lua/lua.go, oslib_safe.go). The object goes in as a
 * Lua table literal and the result comes back as JSON.
 */
import { spawnSync } from 'node:child_process';
import { which } from '../../src/sandbox/processes/child.js';
import { aptInstall } from './apt.js';

export const LUA = 'lua5.1';
export const LUA_MISSING = `the Argo CD Lua scripts are tested with Lua 5.1: apt-get install -y ${LUA}`;

/** Installs lua5.1 when missing (as root); a problem line when it cannot. */
export function ensureLua(): string | undefined {
  if (which(LUA) !== undefined) return undefined;
  return aptInstall([LUA]) && which(LUA) !== undefined ? undefined : LUA_MISSING;
}

/** A JSON value as a Lua 5.1 literal (null: nil). */
export function toLua(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string')
    return `"${[...v].map((c) => (c === '"' || c === '\\' || c < ' ' ? `\\${c.charCodeAt(0)}` : c)).join('')}"`;
  if (Array.isArray(v)) return `{${v.map(toLua).join(', ')}}`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== null && x !== undefined);
  return `{${entries.map(([k, x]) => `[${toLua(k)}] = ${toLua(x)}`).join(', ')}}`;
}

const HARNESS = `
local function json(v)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" or t == "number" then return tostring(v) end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\\\]', function(c) return string.format("\\\\u%04x", c:byte()) end) .. '"'
  end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  if n > 0 and n == #v then
    local out = {}
    for i = 1, #v do out[i] = json(v[i]) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  local out = {}
  for k, x in pairs(v) do table.insert(out, json(tostring(k)) .. ":" .. json(x)) end
  return "{" .. table.concat(out, ",") .. "}"
end
local safeOs = { time = os.time, date = os.date }
local env = {
  obj = OBJ, table = table, tostring = tostring, tonumber = tonumber, pairs = pairs, ipairs = ipairs,
  type = type, next = next, error = error, pcall = pcall, select = select, unpack = unpack, assert = assert,
  require = function(name)
    if name == "os" then return safeOs end
    error("module " .. name .. " not found")
  end,
}
local f = assert(loadfile(SCRIPT))
setfenv(f, env)
io.write(json(f()))
`;

/** Runs `script` on `obj` as Argo CD would; what it returned, as JSON. */
export function runLua(script: string, obj: unknown): unknown {
  const program = `OBJ = ${toLua(obj)}\nSCRIPT = ${toLua(script)}\n${HARNESS}`;
  const run = spawnSync(LUA, ['-'], { input: program, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${LUA} ${script}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}
