"""MIDI input ports through mido's python-rtmidi backend, with errors that say what to do.

rtmidi talks to one MIDI system (its "API"): ALSA or JACK on Linux, CoreMIDI on
macOS, Windows MM. ``default`` lets rtmidi choose (ALSA on Linux). A machine
without an ALSA sequencer (no ``/dev/snd/seq``, as on these build machines) still
carries MIDI between programs through virtual ports on a running JACK server
(``api: jack``; docs/architecture.md, "MIDI without hardware").

mido and rtmidi are imported on first use, so listing node types stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The ``api`` choices of midi-in → rtmidi API names as mido spells them.
APIS: dict[str, str | None] = {
    "default": None,
    "jack": "UNIX_JACK",
    "alsa": "LINUX_ALSA",
    "coremidi": "MACOSX_CORE",
    "windows": "WINDOWS_MM",
}

_HINTS = {
    "default": "connect a MIDI device, or use api: jack with a JACK server running",
    "jack": "start a JACK server first (jackd, or qjackctl)",
    "alsa": "the ALSA sequencer (/dev/snd/seq) is missing: load the snd-seq kernel "
            "module, or use api: jack with a JACK server running",
    "coremidi": "check Audio MIDI Setup",
    "windows": "connect a MIDI device",
}


class MidiUnavailable(OSError):
    """No MIDI system, no input port, or no port matching the name asked for."""


def _backend(api: str) -> Any:
    import mido

    return mido.Backend("mido.backends.rtmidi", api=APIS[api], load=True)


def input_names(api: str) -> list[str]:
    """Names of the MIDI input ports ``api`` offers; MidiUnavailable when the MIDI
    system itself is missing (the message says what to start or load)."""
    import rtmidi

    try:
        return list(_backend(api).get_input_names())
    except ValueError as exc:  # mido: "API ... not compiled in"
        raise MidiUnavailable(f"MIDI api {api!r} is not available in this python-rtmidi "
                              f"build ({exc})") from None
    except rtmidi.RtMidiError as exc:
        raise MidiUnavailable(f"no MIDI system for api {api!r}: {exc}; {_HINTS[api]}") from None


def choose_port(names: list[str], wanted: str, api: str) -> str:
    """The port named ``wanted`` exactly, else the first whose name contains it
    (case-insensitive), else the first port when ``wanted`` is empty."""
    if not names:
        raise MidiUnavailable(f"no MIDI input ports (api {api!r}): connect a controller or "
                              "start the program that sends MIDI")
    if not wanted:
        return names[0]
    if wanted in names:
        return wanted
    matches = [name for name in names if wanted.lower() in name.lower()]
    if not matches:
        raise MidiUnavailable(f"no MIDI input port matches {wanted!r} (api {api!r}); "
                              f"available: {', '.join(names)}")
    return matches[0]


def open_input(api: str, wanted: str, callback: Callable[[Any], None]) -> Any:
    """Open the input port chosen by :func:`choose_port`; ``callback(message)`` then
    runs on rtmidi's thread for each ``mido.Message``. Close the returned port."""
    name = choose_port(input_names(api), wanted, api)
    return _backend(api).open_input(name, callback=callback)
