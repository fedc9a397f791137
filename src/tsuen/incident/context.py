"""The banner of the live emergency switches that reach the signed-in user (set on the request
by ``guard.EmergencySwitchMiddleware``)."""

from __future__ import annotations


def emergency(request) -> dict:
    return {"emergency_switches": getattr(request, "emergency", ())}
