-- Faultline's language server driven by Neovim's built-in LSP client (Debian's neovim 0.7.2), headless.
-- Run by test/e2e/neovim.e2e.ts; it only drives and records, the assertions are in the TypeScript test.
--
--   FAULTLINE_NVIM_CMD   JSON array: the server command (node dist/server.js --stdio)
--   FAULTLINE_NVIM_ROOT  the workspace folder
--   FAULTLINE_NVIM_FILE  the file to open
--   FAULTLINE_NVIM_OUT   where to write the JSON record
--   FAULTLINE_NVIM_TIMEOUT_MS  timeout of each wait (default 30000)
--
-- Steps: open the file and attach the server; wait for the workspace scan to finish (faultline/status idle)
-- and for the file's diagnostics; ask for the quick fixes of each diagnostic; apply the preferred fix of the
-- first one, :write, wait for the new diagnostics; ask for source.fixAll.faultline, apply it, :write, wait again.

local cmd = vim.fn.json_decode(os.getenv("FAULTLINE_NVIM_CMD"))
local root = os.getenv("FAULTLINE_NVIM_ROOT")
local file = os.getenv("FAULTLINE_NVIM_FILE")
local out_path = os.getenv("FAULTLINE_NVIM_OUT")
local timeout = tonumber(os.getenv("FAULTLINE_NVIM_TIMEOUT_MS") or "30000")

local record = { steps = {}, published = {}, statuses = {}, logs = {} }
local latest = {} -- uri -> last publishDiagnostics params

local function note(step) table.insert(record.steps, step) end

local function finish(code)
  local f = assert(io.open(out_path, "w"))
  f:write(vim.fn.json_encode(record))
  f:close()
  if code == 0 then vim.cmd("qall!") else vim.cmd("cquit " .. code) end
end

local function fail(message)
  record.error = message
  finish(1)
end

local function wait_for(what, cond)
  if not vim.wait(timeout, cond, 50) then fail("timed out after " .. timeout .. " ms waiting for " .. what) end
end

vim.cmd("edit " .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
vim.bo[bufnr].filetype = "typescript"
local uri = vim.uri_from_bufnr(bufnr)
record.uri = uri

local scan_done = false
local client_id = vim.lsp.start_client({
  name = "faultline",
  cmd = cmd,
  root_dir = root,
  workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } },
  handlers = {
    ["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
      latest[result.uri] = result
      table.insert(record.published, { uri = result.uri, version = result.version, count = #result.diagnostics })
      vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
    end,
    ["faultline/status"] = function(_, result)
      table.insert(record.statuses, result)
      if result.state == "idle" and #record.statuses > 1 then
        for _, s in ipairs(record.statuses) do
          if s.state == "analyzing" then scan_done = true end
        end
      end
    end,
    ["window/logMessage"] = function(_, result) table.insert(record.logs, result.message) end,
  },
  on_exit = function(code, signal) record.server_exit = { code = code, signal = signal } end,
})
if not client_id then fail("vim.lsp.start_client returned nil") end
vim.lsp.buf_attach_client(bufnr, client_id)
local client = vim.lsp.get_client_by_id(client_id)

-- 1. Diagnostics: the whole workspace once the background scan is done, the open file among them.
wait_for("the workspace scan to finish (faultline/status idle after analyzing)", function() return scan_done end)
wait_for("diagnostics of the open file with its version", function()
  local p = latest[uri]
  return p ~= nil and p.version == vim.lsp.util.buf_versions[bufnr]
end)
record.diagnostics = {}
for u, p in pairs(latest) do record.diagnostics[u] = p.diagnostics end
record.final_status = record.statuses[#record.statuses]
note("diagnostics")

-- 2. Quick fixes of every diagnostic of the open file.
local function code_actions(range, diagnostics, only)
  local resp = client.request_sync("textDocument/codeAction", {
    textDocument = { uri = uri },
    range = range,
    context = { diagnostics = diagnostics, only = only, triggerKind = 1 },
  }, timeout, bufnr)
  if not resp then fail("no answer to textDocument/codeAction within " .. timeout .. " ms") end
  if resp.err then fail("textDocument/codeAction failed: " .. vim.inspect(resp.err)) end
  return resp.result or {}
end

local diags = latest[uri].diagnostics
record.quickfixes = {}
for i, d in ipairs(diags) do
  local actions = code_actions(d.range, { d }, { "quickfix" })
  local titles = {}
  for _, a in ipairs(actions) do table.insert(titles, { title = a.title, kind = a.kind, isPreferred = a.isPreferred == true }) end
  record.quickfixes[i] = { line = d.range.start.line + 1, code = d.code, actions = titles }
  if i == 1 then record.first_actions = actions end
end
note("quickfixes")

local function apply_and_save(edit, what)
  local before = vim.lsp.util.buf_versions[bufnr]
  vim.lsp.util.apply_workspace_edit(edit, client.offset_encoding or "utf-16")
  if vim.lsp.util.buf_versions[bufnr] == before then fail(what .. ": the edit did not change the buffer") end
  vim.cmd("write")
  wait_for("diagnostics of the edited file (" .. what .. ")", function()
    local p = latest[uri]
    return p ~= nil and p.version == vim.lsp.util.buf_versions[bufnr]
  end)
  return latest[uri].diagnostics
end

-- 3. Apply the preferred quick fix of the first diagnostic.
if #diags > 0 then
  local chosen
  for _, a in ipairs(record.first_actions or {}) do
    if a.isPreferred and a.edit then chosen = a end
  end
  if not chosen then fail("the first diagnostic has no preferred quick fix") end
  record.applied_quickfix = { title = chosen.title, line = diags[1].range.start.line + 1 }
  record.after_quickfix = apply_and_save(chosen.edit, "quick fix")
  record.text_after_quickfix = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n"
  note("quickfix applied")
end

-- 4. Fix all: source.fixAll.faultline, invoked by hand.
local all = code_actions({ start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } }, {}, { "source.fixAll.faultline" })
record.fixall_actions = {}
for _, a in ipairs(all) do table.insert(record.fixall_actions, { title = a.title, kind = a.kind }) end
if #all > 0 and all[1].edit then
  record.after_fixall = apply_and_save(all[1].edit, "fix all")
  note("fix all applied")
end

client.stop()
vim.wait(3000, function() return client.is_stopped() end, 50)
finish(0)
