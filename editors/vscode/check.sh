#!/usr/bin/env bash
# Installs the extension's npm packages (the only step that needs the registry), tests the
# TextMate grammar with vscode-tmgrammar-test and packages vigil.vsix with vsce, offline.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/vscode-tmgrammar-test ] || [ ! -d node_modules/@vscode/vsce ]; then
  npm ci --no-audit --no-fund
fi
npx --no-install vscode-tmgrammar-test -g syntaxes/vigil.tmLanguage.json 'tests/*.test.vigil'
rm -f vigil.vsix
npx --no-install vsce package --skip-license --out vigil.vsix
# The package holds the client, the grammar and the language client library.
listing=$(python3 -m zipfile -l vigil.vsix)
for f in extension/extension.js extension/package.json extension/syntaxes/vigil.tmLanguage.json \
         extension/language-configuration.json extension/node_modules/vscode-languageclient/package.json; do
  grep -q "$f" <<<"$listing" || { echo "vigil.vsix lacks $f" >&2; exit 1; }
done
if grep -q "node_modules/@vscode/vsce/" <<<"$listing"; then
  echo "vigil.vsix carries the build tools" >&2; exit 1
fi
echo "vigil.vsix: $(wc -c < vigil.vsix) bytes"
