#!/usr/bin/env bash
# Onboards a real program as a studio title on the stack `make run` serves:
# as the operator, it installs glxgears (Debian's mesa-utils) into the
# edge's titles directory; as the studio "dev", it uploads its manifest.
# Within a second the game is in the catalog on http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."

signal=${STRATUS_SIGNAL:-http://${ADDR:-127.0.0.1:8080}}
key=${STRATUS_STUDIO_KEY:-stratus-dev-studio-key}
gears=$(command -v glxgears || true)
if [ -z "$gears" ]; then
	echo "example-title: glxgears not found: install the Debian package mesa-utils" >&2
	exit 1
fi

# The operator's part: the program in the title's install directory.
mkdir -p run/titles/gears
cp "$gears" run/titles/gears/glxgears

# The studio's part: the manifest, through the studio API.
cat > run/gears.json <<'JSON'
{
  "id": "gears",
  "name": "Gears",
  "version": "1.0.0",
  "runtime": "process",
  "command": "glxgears",
  "args": ["-geometry", "1280x720+0+0"],
  "width": 1280,
  "height": 720,
  "fps": 60,
  "input": { "keyboard": true, "mouse": true, "touch": { "layout": "pointer" } }
}
JSON
bin/stratus title add -signal "$signal" -studio-key "$key" run/gears.json
echo "example-title: play it on $signal/play?title=gears"
