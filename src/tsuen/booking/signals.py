"""Signals of the booking engine.

``place_freed`` is sent after a family's cancellation has committed and a place in a slot is
free again (arguments: ``place_slot``, ``now``); the waitlist listens to offer it on.
"""

from django.dispatch import Signal

place_freed = Signal()
