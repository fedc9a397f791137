"""The booking rush's yardstick: a minimal Django view doing a booking's essential work.

Not part of tsuen (nothing in src/ imports it). See ``views.py`` and bench/README.md.
"""
