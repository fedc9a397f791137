from django.db import models


class Notice(models.TextChoices):
    """Every kind of notice tsuen sends; each has <kind>.subject.txt and <kind>.body.txt."""

    APPLICATION_RECEIVED = "application_received"
    CORRECTION_REQUESTED = "correction_requested"
    CERTIFICATION_RESULT = "certification_result"
    INTERVIEW_OUTCOME = "interview_outcome"
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_CANCELLED_BY_FACILITY = "booking_cancelled_by_facility"
    # Issue 10: the family's own cancellation, confirmed to the family.
    BOOKING_CANCELLED = "booking_cancelled"
    WAITLIST_OFFER = "waitlist_offer"
    CANCELLATION_DEADLINE_REMINDER = "cancellation_deadline_reminder"
    PROXY_INVITATION = "proxy_invitation"
    REGULAR_USE_ANSWERED = "regular_use_answered"
    STAFF_INVITATION = "staff_invitation"
    CERTIFICATION_ENDED = "certification_ended"
    # Issue 5 item 7 (the ward's claim review): to the facility's managers.
    CLAIM_QUERIED = "claim_queried"
    CLAIM_PAID = "claim_paid"
    # Issue 9 item 8: an invitation to a ward's staff (by its administrator, or the national
    # operator for its first administrator).
    WARD_STAFF_INVITATION = "ward_staff_invitation"
    # Issue 10: to the facility's own notice address (Facility.notice_email), when it has one.
    FACILITY_INTERVIEW_REQUESTED = "facility_interview_requested"
    FACILITY_BOOKING_MADE = "facility_booking_made"
    FACILITY_BOOKING_CANCELLED = "facility_booking_cancelled"
