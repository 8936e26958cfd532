"""Helpers shared by the audio-domain utility nodes (gain, mix, crossfade, meter,
audio-file): smoothed control values, level metering, audio files. Not scanned for
node types."""
