// The Vigil extension: starts `vigil lsp` for .vigil files. Everything else (diagnostics,
// hover, completion, code lenses that run tests, formatting) comes from the server.
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('vigil').get('path') || 'vigil';
  const serverOptions = { command, args: ['lsp'] };
  const clientOptions = {
    documentSelector: [{ scheme: 'file', language: 'vigil' }],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.vigil'),
    },
  };
  client = new LanguageClient('vigil', 'Vigil', serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
