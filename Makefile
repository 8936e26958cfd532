# nodegraph: two commands.
#   make demo   set everything up on a fresh Debian/Ubuntu machine, then run the demo
#   make test   set up the same way if needed, then run all tests
#
# Setup: system packages (when root or sudo is available), a virtual environment in
# .venv/ with torch==2.13.0 (CPU) installed first and pinned, then this project.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] && echo "" || (command -v sudo >/dev/null && echo sudo -n))
APT_PACKAGES := libportaudio2 jackd2 xvfb xauth libgl1 libglib2.0-0 libsndfile1 \
	libegl1 libxrandr2 libxinerama1 libxcursor1 libxi6 libxtst6 python3-venv \
	sonic-pi-samples fluidsynth fluid-soundfont-gm

.PHONY: demo test setup system-packages clean

demo: setup
	@mkdir -p out
	@echo "demo: patches/face-to-rave.yaml for 15 s, offline. No camera is used: the built-in test face"
	@echo "      (a moving face photo) performs. No sound card is used: the sound goes to out/demo.wav."
	$(BIN)/nodegraph run patches/face-to-rave.yaml --offline --duration 15 \
		--out out/demo.wav --report out/demo-report.json
	@$(BIN)/python -m patches.face_to_rave figures out/demo.wav
	@echo "listen to out/demo.wav; live with a webcam and a sound card:"
	@echo "  $(BIN)/nodegraph run patches/face-to-rave.yaml --set cam.source=0"

test: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup

setup: $(STAMP)

$(STAMP): pyproject.toml | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

system-packages:
	@if command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
		missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
		if [ -n "$$missing" ]; then \
			echo "installing system packages: $$missing"; \
			$(SUDO) apt-get update -qq && \
			$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		fi; \
	else \
		echo "note: cannot install system packages (need apt and root); audio and GUI tests need: $(APT_PACKAGES)"; \
	fi

clean:
	rm -rf $(VENV) out
