-- Headless Neovim (0.7+) end-to-end check of `vigil lsp`, driven by tests/lsp_nvim.rs.
-- Opens TEST_FILE, starts LS_CMD as the file's language server, waits for diagnostics, asks
-- for the definition at DEF_ROW/DEF_COL and completion at COMP_ROW/COMP_COL (1-based rows,
-- 0-based byte columns), and writes what Neovim received to OUT as JSON. Exits 1 on error.
local out_path, results = os.getenv('OUT'), {}
local file = vim.fn.fnamemodify(os.getenv('TEST_FILE'), ':p')
local ls_cmd = vim.split(os.getenv('LS_CMD'), '\t', { trimempty = true })
local function num(name) return tonumber(os.getenv(name)) end
local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = 'vigil', cmd = ls_cmd, root_dir = vim.fn.fnamemodify(file, ':h'),
    on_exit = function(code, signal) results.exit = { code = code, signal = signal } end,
  })
  assert(client_id, 'start_client failed')
  vim.lsp.buf_attach_client(bufnr, client_id)
  assert(vim.wait(20000, function()
    local c = vim.lsp.get_client_by_id(client_id); return c ~= nil and c.initialized
  end, 50), 'the server did not initialize')
  assert(vim.wait(20000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50), 'no diagnostics')
  results.diagnostics = vim.tbl_map(function(d)
    return { lnum = d.lnum, col = d.col, severity = d.severity, message = d.message, code = d.code }
  end, vim.diagnostic.get(bufnr))

  vim.api.nvim_win_set_cursor(0, { num('DEF_ROW'), num('DEF_COL') })
  local r = vim.lsp.buf_request_sync(bufnr, 'textDocument/definition', vim.lsp.util.make_position_params(), 10000)
  assert(r and r[client_id], 'no answer to definition')
  assert(not r[client_id].err, vim.inspect(r[client_id].err))
  results.definition = r[client_id].result
  -- Jump as the editor would and record where the cursor lands.
  local loc = results.definition
  if loc and loc[1] then loc = loc[1] end
  vim.lsp.util.jump_to_location(loc, 'utf-16')
  results.jumped = { file = vim.api.nvim_buf_get_name(0), cursor = vim.api.nvim_win_get_cursor(0) }
  vim.cmd('buffer ' .. bufnr)

  vim.api.nvim_win_set_cursor(0, { num('COMP_ROW'), num('COMP_COL') })
  local cp = vim.lsp.util.make_position_params()
  cp.context = { triggerKind = 2, triggerCharacter = '.' }
  local cr = vim.lsp.buf_request_sync(bufnr, 'textDocument/completion', cp, 10000)
  assert(cr and cr[client_id], 'no answer to completion')
  local items = cr[client_id].result or {}
  if items.items then items = items.items end
  results.completion = vim.tbl_map(function(it) return it.label end, items)

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
end)
if not ok then results.error = tostring(err) end
vim.fn.writefile({ vim.fn.json_encode(results) }, out_path)
vim.cmd(ok and 'qa!' or 'cquit! 1')
