"""The data inventory (SECURITY.md item 1): every model field that holds personal data.

``INVENTORY`` maps ``"app_label.Model.field"`` to an :class:`Entry` ``(data_class, purpose,
retention)``:

* ``data_class`` is ``"P"`` (personal: tenant- and relationship-scoped, reads audited) or ``"S"``
  (sensitive, 要配慮個人情報 and welfare/tax status: all of P, plus encrypted at rest with an
  ``EncryptedField`` and shown only to roles that need it);
* ``purpose`` says why tsuen holds the value (the purpose notice is written from it);
* ``retention`` is a key of ``RETENTION_RULES``, the rule the purge job applies.

A field is listed when its value says something about an identifiable person: identity,
contact, whereabouts and schedule, health, family circumstances, or free text written about
them. Keys, status codes, system timestamps and foreign keys are not listed one by one: the row
they sit in is personal data as a whole and follows the retention rule of its record class
(docs/data-inventory.md, "Records").

``NOT_PERSONAL`` lists fields whose names look personal but are not (a facility's public
address), each with the reason. ``PROPOSED_SENSITIVE`` lists P fields that should become S;
they move to ``"S"`` when their app encrypts them.

tests/privacy/test_inventory.py walks every model of the ``tsuen.*`` apps and fails when a
personal-looking field is missing here, an entry names a field that does not exist, or an S
field is not encrypted. docs/data-inventory.md is the human-readable copy of this module.
"""

from __future__ import annotations

from typing import NamedTuple

P = "P"
S = "S"


class Entry(NamedTuple):
    data_class: str  # "P" or "S"
    purpose: str
    retention: str  # a key of RETENTION_RULES


RETENTION_RULES: dict[str, str] = {
    "account": (
        "While the account is in use. When it is closed, the email and name are erased once no "
        "retained record needs them; the row (id, role) stays so that the audit trail still "
        "resolves the actor."
    ),
    "family_record": (
        "Identity and contact data of a household and its members: kept while any "
        "payment-linked or care record of the household is kept (the later of payment_5y and "
        "care_record), then deleted with the household."
    ),
    "payment_5y": (
        "Payment-linked records (application, certification, fee class, booking, attendance, "
        "claim): 5 years after the end of the fiscal year (31 March) in which the record closed, "
        "or longer where the municipality sets it; a legal hold suspends deletion."
    ),
    "care_record": (
        "Care records (health, allergies, development, daily records, emergency contacts): N "
        "months after the child's eligibility ends, N set per municipality; a legal hold "
        "suspends deletion."
    ),
    "certificate_image_1y": (
        "Uploaded evidence (doctors' certificates, proof of public assistance or tax status): "
        "1 year after verification."
    ),
    "protected_export": (
        "A protected export waiting for its download: deleted when it expires, 10 minutes "
        "after it was made (on the next export, on any access to it, and by manage.py "
        "purge_exports)."
    ),
    "exchange_upload": (
        "An exchange file uploaded for import (a ward's certifications, with names, addresses "
        "and fee classes): deleted when it is imported or discarded, else one hour after its "
        "upload (manage.py purge_exchange_uploads)."
    ),
    "legal_hold": (
        "A legal hold and its reasons: kept while the hold lasts and, once released, as long as "
        "the records it held (a released hold is deleted with them; the audit trail keeps that "
        "it was set and released)."
    ),
    "audit_log": (
        "The audit trail: as long as the longest retention of the data it describes "
        "(payment_5y by default), removed a whole fiscal year of a chain at a time with a "
        "deletion report; never edited."
    ),
}

_PERSON = "identify the person in every journey (certification, booking, care, billing)"
_KANA = "sort and match names as the municipality's resident register does (katakana reading)"

INVENTORY: dict[str, Entry] = {
    # --- accounts --------------------------------------------------------------------------------
    "accounts.User.email": Entry(P, "log-in identifier and account mail", "account"),
    "accounts.User.full_name": Entry(P, "name shown to colleagues and in the audit", "account"),
    "accounts.User.password": Entry(
        P, "authentication (Argon2 hash, never the password)", "account"
    ),
    "accounts.User.last_login": Entry(P, "account security (dormant accounts, reports)", "account"),
    # --- families: household -------------------------------------------------------------------
    "families.Household.postal_code": Entry(P, "residence: eligibility and mail", "family_record"),
    "families.Household.prefecture": Entry(P, "residence: eligibility and mail", "family_record"),
    "families.Household.city": Entry(P, "residence: which municipality pays", "family_record"),
    "families.Household.address_line": Entry(P, "residence: mail and home visits", "family_record"),
    "families.Household.support_needed": Entry(
        S, "support-needed household (要支援世帯): priority and fee reduction", "payment_5y"
    ),
    "families.HouseholdFeeClass.fee_class": Entry(
        S,
        "fee reduction class (public assistance, tax-exempt, income band): user-fee reduction",
        "payment_5y",
    ),
    "families.HouseholdFeeClass.valid_from": Entry(P, "period the fee class applies", "payment_5y"),
    "families.HouseholdFeeClass.valid_to": Entry(P, "period the fee class applies", "payment_5y"),
    # --- families: guardians -------------------------------------------------------------------
    "families.Guardian.family_name": Entry(P, _PERSON, "family_record"),
    "families.Guardian.given_name": Entry(P, _PERSON, "family_record"),
    "families.Guardian.family_name_kana": Entry(P, _KANA, "family_record"),
    "families.Guardian.given_name_kana": Entry(P, _KANA, "family_record"),
    "families.Guardian.birth_date": Entry(
        P, "identity check against the resident register", "family_record"
    ),
    "families.Guardian.sex": Entry(
        P, "identity check against the resident register", "family_record"
    ),
    "families.Guardian.relation": Entry(P, "who may act for the child", "family_record"),
    "families.Guardian.phone": Entry(
        P, "contact by the facility and the municipality", "family_record"
    ),
    "families.Guardian.email": Entry(P, "notices (booking, certification)", "family_record"),
    "families.Guardian.workplace": Entry(
        P, "reach the guardian during care hours", "family_record"
    ),
    # --- families: children --------------------------------------------------------------------
    "families.Child.family_name": Entry(P, _PERSON, "family_record"),
    "families.Child.given_name": Entry(P, _PERSON, "family_record"),
    "families.Child.family_name_kana": Entry(P, _KANA, "family_record"),
    "families.Child.given_name_kana": Entry(P, _KANA, "family_record"),
    "families.Child.birth_date": Entry(P, "eligibility (age) and age class", "family_record"),
    "families.Child.sex": Entry(P, "identity check; care (changing, toileting)", "family_record"),
    "families.Child.disability": Entry(
        S, "care planning and the disability adder in claims", "care_record"
    ),
    "families.Child.medical_care": Entry(
        S, "care planning (医療的ケア): which facility can accept the child", "care_record"
    ),
    "families.Child.allergies": Entry(S, "safe meals: diagnosed allergies", "care_record"),
    "families.Child.meal_requirements": Entry(
        S, "meals: medical diets and religious rules", "care_record"
    ),
    "families.Child.illnesses": Entry(S, "care: illnesses the facility must know", "care_record"),
    "families.Child.vaccinations": Entry(S, "care: infection control", "care_record"),
    "families.Child.development_notes": Entry(S, "care: development and support", "care_record"),
    "families.Child.pickup_persons": Entry(
        P, "hand the child only to the people named (names, relation)", "care_record"
    ),
    "families.EmergencyContact.name": Entry(P, "emergency contact", "care_record"),
    "families.EmergencyContact.birth_date": Entry(P, "tell namesakes apart", "care_record"),
    "families.EmergencyContact.relation": Entry(P, "emergency contact", "care_record"),
    "families.EmergencyContact.phone": Entry(P, "emergency contact", "care_record"),
    "families.EmergencyContact.email": Entry(P, "emergency contact", "care_record"),
    "families.GrowthRecord.measured_on": Entry(P, "growth record for care", "care_record"),
    "families.GrowthRecord.height_cm": Entry(P, "growth record for care", "care_record"),
    "families.GrowthRecord.weight_kg": Entry(P, "growth record for care", "care_record"),
    "families.ProxyInvitation.email": Entry(
        P, "where a guardian's invitation to a proxy user was sent", "account"
    ),
    "facilities.StaffInvitation.email": Entry(
        P, "where a facility manager's invitation to a member of staff was sent", "account"
    ),
    "accounts.WardInvitation.email": Entry(
        P, "where an invitation to a ward's staff was sent (issue 9 item 8)", "account"
    ),
    # --- certification ---------------------------------------------------------------------------
    "certification.Application.declared_fee_class": Entry(
        S, "fee reduction class as declared by the applicant", "payment_5y"
    ),
    "certification.Application.message_to_applicant": Entry(
        S, "correction requests and decisions sent to the applicant", "payment_5y"
    ),
    "certification.Application.entries": Entry(
        S,
        "the applicant's answers as entered (guardian, address, fee class, children with "
        "medical-care and disability flags): the draft and the record of what was declared",
        "payment_5y",
    ),
    "certification.ApplicationStatusChange.note": Entry(
        S, "reason for a status change of an application", "payment_5y"
    ),
    "certification.Certification.number": Entry(
        P, "certificate number (identifies the child's certification)", "payment_5y"
    ),
    "certification.Certification.end_reason": Entry(
        P, "why eligibility ended (e.g. moved out)", "payment_5y"
    ),
    "certification.CertificationStatusChange.note": Entry(
        S, "reason for a status change of a certification", "payment_5y"
    ),
    # --- facilities ------------------------------------------------------------------------------
    "facilities.Interview.notes": Entry(
        S, "first interview (初回面談): what the facility needs for care", "care_record"
    ),
    "facilities.Interview.message_to_family": Entry(
        S,
        "first interview (初回面談): the facility's word to the family with its decision",
        "care_record",
    ),
    # --- booking and attendance ------------------------------------------------------------------
    "booking.Booking.date": Entry(P, "where and when the child is in care", "payment_5y"),
    "booking.Booking.starts_at": Entry(P, "where and when the child is in care", "payment_5y"),
    "booking.Booking.ends_at": Entry(P, "where and when the child is in care", "payment_5y"),
    "booking.WaitlistEntry.starts_at": Entry(
        P, "waitlist: when the child would be in care", "care_record"
    ),
    "booking.WaitlistEntry.ends_at": Entry(
        P, "waitlist: when the child would be in care", "care_record"
    ),
    "booking.RegularUseRequest.note": Entry(
        S,
        "regular use request: the family's word to the facility (may mention health)",
        "care_record",
    ),
    "booking.RegularUseRequest.outcome": Entry(
        S,
        "regular use: the dates booked or left out, with the reasons (hours, caps)",
        "care_record",
    ),
    "booking.RegularUseRequest.decline_reason": Entry(
        S, "regular use: the facility's reason for declining, shown to the family", "care_record"
    ),
    "attendance.Attendance.checked_in_at": Entry(P, "attendance, basis of the claim", "payment_5y"),
    "attendance.Attendance.checked_out_at": Entry(
        P, "attendance, basis of the claim", "payment_5y"
    ),
    "attendance.Attendance.times_reason": Entry(
        S,
        "why staff recorded unusual real times or corrected them (may mention health)",
        "payment_5y",
    ),
    "attendance.MorningNote.health": Entry(
        S, "the guardian's note on today's health", "care_record"
    ),
    "attendance.MorningNote.temperature": Entry(P, "morning temperature (care)", "care_record"),
    "attendance.MorningNote.pickup_person": Entry(P, "who picks the child up today", "care_record"),
    "attendance.DailyRecord.meals": Entry(P, "daily record to the guardian", "care_record"),
    "attendance.DailyRecord.nap": Entry(P, "daily record to the guardian", "care_record"),
    "attendance.DailyRecord.mood": Entry(P, "daily record to the guardian", "care_record"),
    "attendance.DailyRecord.toileting": Entry(P, "daily record to the guardian", "care_record"),
    "attendance.DailyRecord.temperature": Entry(P, "daily record to the guardian", "care_record"),
    "attendance.DailyRecord.notes": Entry(S, "daily record to the guardian", "care_record"),
    # --- billing ---------------------------------------------------------------------------------
    # A claim's amounts: an amount that depends on an adder or on the household's fee class is
    # S (encrypted), or not stored (ClaimLine.total and fee_net are computed from the others);
    # an amount that follows from clear facts and public prices stays P (docs/data-inventory.md,
    # "Claims: which values are encrypted").
    "billing.ClaimLine.adders": Entry(
        S,
        "claim amount per visit by adder (disability, medical care, support-needed family)",
        "payment_5y",
    ),
    "billing.ClaimLine.bucket_shares": Entry(
        S,
        "the visit's minutes and yen per payer (base, adders, first visit): reveals the adders",
        "payment_5y",
    ),
    "billing.ClaimLine.reduction_reimbursed": Entry(
        S, "user-fee reduction reimbursed for the visit: follows from the fee class", "payment_5y"
    ),
    "billing.ClaimLine.age_class": Entry(
        P, "the child's age class on the visit (from the birth date): the rate", "payment_5y"
    ),
    "billing.ClaimLine.base_amount": Entry(
        P,
        "age-class price of the visit: its minutes and age class times the public rates",
        "payment_5y",
    ),
    "billing.ClaimLine.first_visit_amount": Entry(
        P,
        "first-visit adder (after an interview): says nothing of care needs or income",
        "payment_5y",
    ),
    "billing.ClaimLine.fee_gross": Entry(
        P,
        "the family's fee before any reduction: the facility's published fee, pro rata",
        "payment_5y",
    ),
    "billing.Claim.total_benefit": Entry(
        S,
        "the claim's benefit total: with few children on a claim, it reveals their adders",
        "payment_5y",
    ),
    "billing.Claim.total_reduction_reimbursed": Entry(
        S,
        "the claim's reductions: with few children on a claim, it reveals their fee classes",
        "payment_5y",
    ),
    "billing.ClaimQuery.message": Entry(
        S, "the ward's query about a claimed visit, sent to the facility", "payment_5y"
    ),
    # --- incident (emergency switches) ---------------------------------------------------------
    "incident.EmergencySwitch.reason": Entry(
        P, "why a switch was pulled (the incident record; may name people)", "audit_log"
    ),
    "incident.EmergencySwitch.release_reason": Entry(
        P, "why a switch was released (the incident record)", "audit_log"
    ),
    # --- audit -----------------------------------------------------------------------------------
    "audit.AuditEvent.actor_id": Entry(P, "who accessed personal data", "audit_log"),
    "audit.AuditEvent.actor_role": Entry(P, "the actor's role at the time", "audit_log"),
    "audit.AuditEvent.actor_municipality_id": Entry(
        P, "the actor's municipality at the time", "audit_log"
    ),
    "audit.AuditEvent.source_address": Entry(P, "from where (IP address)", "audit_log"),
    "audit.AuditEvent.subject_child_ids": Entry(
        P, "whose data it was (children): blast-radius queries", "audit_log"
    ),
    "audit.AuditEvent.subject_guardian_ids": Entry(
        P, "whose data it was (guardians): blast-radius queries", "audit_log"
    ),
    # --- monitoring (anomalies found in the audit log, issue 12 item 4) ---------------------------
    "monitoring.Anomaly.subject": Entry(
        P, "which account or source address an anomaly is about (its uniqueness key)", "audit_log"
    ),
    "monitoring.Anomaly.actor_id": Entry(P, "the staff account an anomaly is about", "audit_log"),
    "monitoring.Anomaly.actor_role": Entry(P, "that account's role at the time", "audit_log"),
    "monitoring.Anomaly.source_address": Entry(
        P, "the address repeated denials came from (IP address)", "audit_log"
    ),
    "monitoring.Anomaly.note": Entry(
        P, "the ward's explanation of an anomaly, or why it was escalated", "audit_log"
    ),
    # --- exports ---------------------------------------------------------------------------------
    "exports.ProtectedExport.subject_child_ids": Entry(
        P,
        "whom a protected export is about, so that each download names them in the audit",
        "protected_export",
    ),
    "retention.LegalHold.reason": Entry(
        P,
        "why the ward suspended the deletion of a household's, child's or facility's records "
        "(a lawsuit, a disclosure request, an audit); may name a circumstance of the family",
        "legal_hold",
    ),
    "retention.LegalHold.release_reason": Entry(
        P, "why the ward released a legal hold", "legal_hold"
    ),
    # --- consent (disclosure requests made on paper at the ward's desk) -------------------------
    "consent.DeskDisclosureRequest.identity_document": Entry(
        P,
        "which kind of identity document the desk checked for a disclosure request (never its "
        "number)",
        "family_record",
    ),
    "consent.DeskDisclosureRequest.requester_relation": Entry(
        P,
        "who made a disclosure request at the desk (a guardian, a legal representative, an agent)",
        "family_record",
    ),
    "consent.DeskDisclosureRequest.note": Entry(
        P, "the desk's note on a disclosure request", "family_record"
    ),
    "exports.ProtectedExport.zip_data": Entry(
        P,
        "the exported file, kept only as its AES-256 ZIP (the password is kept nowhere) until "
        "its owner downloads it",
        "protected_export",
    ),
    "files.StoredFile.original_name": Entry(
        P, "the uploaded file's own name, shown to those who may open it", "certificate_image_1y"
    ),
    "files.StoredFile.uploaded_by": Entry(P, "who uploaded the file", "certificate_image_1y"),
    "files.StoredFile.uploaded_at": Entry(P, "when the file was uploaded", "certificate_image_1y"),
    "files.StoredFileBlob.ciphertext": Entry(
        S,
        "the uploaded file itself (fee evidence, doctor's certificate, facility photo; an "
        "exchange file to import, kept under the exchange_upload rule)",
        "certificate_image_1y",
    ),
    "exchange.ExchangeUpload.owner": Entry(
        P, "the administrator who uploaded an exchange file to import", "exchange_upload"
    ),
}

#: S fields encrypted with the field keyring outside an ``EncryptedField`` (binary content),
#: with where it is done; ``rotate_field_keys`` reaches them through a registered rotator.
ENCRYPTED_ELSEWHERE: dict[str, str] = {
    "files.StoredFileBlob.ciphertext": (
        "AES-256-GCM with the field keys, bound to its file's row (tsuen.files.blobs)"
    ),
}

#: Fields whose names look personal but hold no personal data, with the reason.
NOT_PERSONAL: dict[str, str] = {
    "backups.BackupRun.file_name": "the name of a backup file the operator chose",
    "webhooks.Endpoint.signing_secret": (  # nosec B105 (a description, not a secret)
        "a key shared with a facility's or ward's system to sign webhooks (encrypted at rest "
        "with the field keys; no person)"
    ),
    "municipalities.StaffNetwork.note": "a note on a municipality's office network range",
    "municipalities.Municipality.name": "a municipality's name",
    "municipalities.Municipality.name_kana": "a municipality's name",
    "municipalities.Municipality.prefecture": "a municipality's prefecture",
    "municipalities.Municipality.certificate_prefix": "numbering format of certificates",
    "municipalities.Municipality.service_name": "the name the ward gives the service",
    "municipalities.Municipality.head_title": "a municipality head's public title (新宿区長)",
    "municipalities.Municipality.office_phone": "a municipality's public office phone number",
    "municipalities.Municipality.office_address": "a municipality's public office address",
    "municipalities.MunicipalPolicy.min_age_months": "a municipality's rule, not a child's age",
    "facilities.PlaceSlot.age_class": "the age class a slot offers places for",
    "facilities.PlaceTemplate.age_class": "the age class a weekly template slot offers places for",
    "facilities.Facility.name": "a facility's public name",
    "facilities.Facility.name_kana": "a facility's public name",
    "facilities.Facility.postal_code": "a facility's public address (published for families)",
    "facilities.Facility.address": "a facility's public address (published for families)",
    "facilities.Facility.phone": "a facility's public phone number",
    "facilities.Facility.notice_email": "the facility's office mailbox for notices (no person)",
    "facilities.Facility.medical_care_support": "what a facility offers, not about a child",
    "facilities.Facility.allergy_support": "what a facility offers, not about a child",
    "facilities.Facility.meal_fee": "a facility's price list",
    "facilities.ClosureDay.reason": "why a facility is closed (no child or family)",
    "facilities.HolidayOpening.reason": "why a facility opens on a holiday (no child or family)",
    "facilities.Facility.facility_number": "the facility's official number (an establishment)",
    "facilities.Facility.open_data_id": "the facility's ID in the ward's open data (public)",
    "facilities.Facility.bank_name": "the bank of the operator's account (an establishment)",
    "facilities.Facility.bank_account_number": "the operator's account for claims (no family)",
    "facilities.FacilitySuspension.reason": "why the ward suspended a facility (no person)",
    "national.NationalRateTable.disability": "a national rate in yen per hour, not about a child",
    "national.NationalRateTable.medical_care": "a national rate in yen per hour, not about a child",
    "national.NationalRateTable.support_needed_family": (
        "a national rate in yen per hour, not about a family"
    ),
    "audit.AuditEvent.field_names": "names of the fields accessed, never their values",
    "audit.AuditEvent.document_sha256": "hash of a produced document, not its content",
    "exports.ProtectedExport.zip_name": (
        "a protected export's file name: a kind, a month, a code or an internal id, no person"
    ),
    # Issue 13: an API client is a facility's or a ward's system, not a person; the person who
    # made it is a foreign key (created_by) and every call is audited as its system user.
    "api.ApiClient.name": "the name of a facility's or a ward's system that calls the API",
    "api.ApiClient.scopes": "the operations an API client may call, from a fixed list",
    "api.ApiClient.secret_hash": "the SHA-256 of an API client's secret, not a person's",
    "api.ApiClient.key_prefix": "the public identifier part of an API client's token",
}

#: P fields that should be S (encrypted, need-to-know) once their app encrypts them.
PROPOSED_SENSITIVE: dict[str, str] = {}


def entries(data_class: str | None = None) -> dict[str, Entry]:
    """The inventory, or only its P or S entries."""
    if data_class is None:
        return dict(INVENTORY)
    return {key: entry for key, entry in INVENTORY.items() if entry.data_class == data_class}


def sensitive_fields(model_label: str) -> frozenset[str]:
    """Names of the S fields of one model (``"families.Child"``)."""
    prefix = f"{model_label}."
    return frozenset(
        key.removeprefix(prefix)
        for key, entry in INVENTORY.items()
        if entry.data_class == S and key.startswith(prefix)
    )
