# shellcheck shell=bash
# python312 prints a Python >= 3.12 from PATH or pyenv: LocalStack 4.14
# uses its syntax, and the bench peers' wheels come for recent Pythons
# first. Sourced by localstack/services/s3.sh and localstack/bench/venv.sh.
python312() {
	local p
	for p in python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 python3; do
		if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
			command -v "$p"
			return 0
		fi
	done
	return 1
}
