"""Labels, badges and colours of the pages (presentation lives here only).

Each label is an English msgid; the templates pass it through gettext, so the zh-CN
catalogue holds the product's Chinese terms (DOMAIN.md) and the en catalogue falls
back to the msgid.
"""

from __future__ import annotations

from touchpoint.domain.contacts import Channel, ContactDirection, ContactOutcome, TransactionKind
from touchpoint.domain.customers import CustomerClass, CustomerKind, IdentityKind
from touchpoint.domain.kpi import Shift
from touchpoint.domain.recovery import CompensationKind, RecoveryStep
from touchpoint.domain.roles import Role
from touchpoint.domain.survey_definition import QuestionType
from touchpoint.domain.work_orders import Priority, Tier, WorkOrderStatus, WorkOrderType
from touchpoint.services.survey_invitations import Channel as SurveyChannel
from touchpoint.services.survey_invitations import SkipReason
from touchpoint.services.surveys import InvitationStatus, WaveStatus
from touchpoint.services.wave_analysis import Instrument

__all__ = [
    "CHANNEL",
    "COMPENSATION",
    "CONDITION_CONTEXT",
    "CONDITION_TEST",
    "CONTACT_OUTCOME",
    "CUSTOMER_CLASS",
    "DIMENSION",
    "DIRECTION",
    "ENTITY",
    "EVENT",
    "FIELD",
    "HOLDING",
    "IDENTITY",
    "IMPORT_CHOICES",
    "IMPORT_COLUMN",
    "INSTRUMENT",
    "INVITATION_STATUS",
    "ORDER_TYPE",
    "OUTBOX_CHANNEL",
    "OUTBOX_STATE",
    "PRIORITY",
    "QUESTION_TYPE",
    "QUOTA_SEGMENT",
    "RECOVERY_STEP",
    "ROLE",
    "SHIFT",
    "SKIP_REASON",
    "SLA_CONDITION",
    "SLA_FIELD",
    "STATUS",
    "SURVEY_CHANNEL",
    "SURVEY_TEMPLATE",
    "TARGET",
    "TIER",
    "TRANSACTION",
    "WAVE_STATUS",
    "WEBHOOK_EVENT",
    "WEEKDAY",
    "label",
    "priority_badge",
    "status_badge",
]

#: SERVQUAL's five dimensions (Parasuraman, Zeithaml & Berry 1988), as the analyses name them.
DIMENSION: dict[str, str] = {
    "tangibles": "Tangibles",
    "reliability": "Reliability",
    "responsiveness": "Responsiveness",
    "assurance": "Assurance",
    "empathy": "Empathy",
}
STATUS: dict[str, str] = {
    WorkOrderStatus.NEW: "New",
    WorkOrderStatus.ASSIGNED: "Assigned",
    WorkOrderStatus.IN_PROGRESS: "In progress",
    WorkOrderStatus.WAITING_CUSTOMER: "Waiting on customer",
    WorkOrderStatus.WAITING_THIRD_PARTY: "Waiting on third party",
    WorkOrderStatus.RESOLVED: "Resolved",
    WorkOrderStatus.CLOSED: "Closed",
}
ORDER_TYPE: dict[str, str] = {
    WorkOrderType.CONSULTATION: "Consultation",
    WorkOrderType.SERVICE_REQUEST: "Service request",
    WorkOrderType.COMPLAINT: "Complaint",
    WorkOrderType.REPAIR: "Repair / fault",
    WorkOrderType.PRAISE: "Praise",
    WorkOrderType.SUGGESTION: "Suggestion",
}
PRIORITY: dict[str, str] = {
    Priority.LOW: "Low",
    Priority.NORMAL: "Normal",
    Priority.HIGH: "High",
    Priority.URGENT: "Urgent",
}
TIER: dict[str, str] = {Tier.L1: "L1 front line", Tier.L2: "L2 support", Tier.EXPERT: "Expert team"}
CHANNEL: dict[str, str] = {
    Channel.HOTLINE: "Hotline",
    Channel.COUNTER: "Counter",
    Channel.CHAT: "Online chat",
    Channel.APP: "App",
    Channel.EMAIL: "E-mail",
    Channel.SOCIAL: "Social media",
    Channel.FIELD_VISIT: "Field visit",
}
DIRECTION: dict[str, str] = {
    ContactDirection.INBOUND: "Inbound",
    ContactDirection.OUTBOUND: "Outbound",
}
CONTACT_OUTCOME: dict[str, str] = {
    ContactOutcome.ANSWERED: "Answered",
    ContactOutcome.ORDER_OPENED: "Order opened",
    ContactOutcome.ORDER_UPDATED: "Order updated",
    ContactOutcome.ANNOUNCEMENT: "Announcement played",
    ContactOutcome.TRANSFERRED: "Transferred",
    ContactOutcome.ABANDONED: "Abandoned",
}
TRANSACTION: dict[str, str] = {
    TransactionKind.PURCHASE: "Purchase",
    TransactionKind.PAYMENT: "Payment",
    TransactionKind.BILL: "Bill",
    TransactionKind.REFUND: "Refund",
    TransactionKind.STAY: "Stay",
    TransactionKind.FEE_APPLICATION: "Fee application",
    TransactionKind.REIMBURSEMENT: "Reimbursement",
    TransactionKind.OTHER: "Other",
}
CUSTOMER_CLASS: dict[str, str] = {
    CustomerClass.KEY_ACCOUNT: "Key account",
    CustomerClass.VIP: "VIP",
    CustomerClass.NORMAL: "Normal",
    CustomerClass.POTENTIAL: "Potential",
    CustomerClass.FORMER: "Former",
    CustomerClass.INTERNAL: "Internal",
}
CUSTOMER_KIND: dict[str, str] = {
    CustomerKind.PERSON: "Person",
    CustomerKind.ORGANISATION: "Organisation",
}
#: What each column of an import file holds (``web.pages_imports``), by file and column.
IMPORT_COLUMN: dict[str, str] = {
    "customers.name": "The customer's name. Required.",
    "customers.kind": "Person or organisation; blank is a person.",
    "customers.customer_class": "Customer class, which chooses SLA policies; blank is normal.",
    "customers.organisation": "The organisation a person belongs to.",
    "customers.phone": "Phone number, kept as one of the customer's identities.",
    "customers.email": "E-mail address, kept as one of the customer's identities.",
    "customers.account": (
        "Account number (an electricity account, a loyalty card), kept as an identity."
    ),
    "customers.social": "Social or app id (WeChat, the app), kept as an identity.",
    "customers.notes": "Notes for the desk.",
    "transactions.customer_id": (
        "The customer's number; when blank, the account or else the phone names the customer."
    ),
    "transactions.account": "An account number of the customer (when customer_id is blank).",
    "transactions.phone": (
        "A phone number of the customer (when customer_id and account are blank)."
    ),
    "transactions.kind": "What the entry is. Required.",
    "transactions.at": (
        "When it happened, with its time-zone offset: 2026-03-01T09:30:00+08:00. Required."
    ),
    "transactions.amount": "The amount, at most two decimal places; blank is 0.",
    "transactions.currency": "Three-letter currency code; blank is CNY.",
    "transactions.reference": "Your reference: a bill, booking or order number.",
    "transactions.description": "What it was.",
    "responses.respondent": "Ignored: the desk numbers the responses it stores.",
    "responses.customer_id": "The customer's number, when the answer is a known customer's.",
    "responses.channel": "How it was answered; blank is phone.",
    "responses.submitted_at": (
        "When it was answered, with its time-zone offset: 2026-03-01T09:30:00+08:00; "
        "blank is the time of the import."
    ),
    "responses.work_order_id": "The order the answer is about.",
    "responses.touchpoint": "Where the service was met: a branch, a counter, a hotel.",
    "responses.customer_class": "The customer's class, for segments and quotas.",
    "responses.region": "The customer's region, for segments and quotas.",
}

IDENTITY: dict[str, str] = {
    IdentityKind.PHONE: "Phone",
    IdentityKind.EMAIL: "E-mail",
    IdentityKind.ACCOUNT: "Account number",
    IdentityKind.SOCIAL: "Social / app id",
}
ROLE: dict[str, str] = {
    Role.AGENT: "Agent",
    Role.SUPERVISOR: "Supervisor",
    Role.ANALYST: "Analyst",
    Role.ADMIN: "Administrator",
}
RECOVERY_STEP: dict[str, str] = {
    RecoveryStep.COOL_DOWN: "Cool down",
    RecoveryStep.INVESTIGATE: "Investigate cause",
    RecoveryStep.APPLY_RULES: "Apply rules",
    RecoveryStep.RESOLVE: "Resolve",
    RecoveryStep.REVIEW: "Review",
    RecoveryStep.RETURN_VISIT: "Return visit",
}
COMPENSATION: dict[str, str] = {
    CompensationKind.NONE: "None",
    CompensationKind.REFUND: "Refund",
    CompensationKind.CREDIT: "Account credit",
    CompensationKind.VOUCHER: "Voucher",
    CompensationKind.GIFT: "Gift",
    CompensationKind.FREE_SERVICE: "Free service",
    CompensationKind.UPGRADE: "Upgrade",
}
SHIFT: dict[str, str] = {
    Shift.MORNING: "Morning (06–14)",
    Shift.AFTERNOON: "Afternoon (14–22)",
    Shift.NIGHT: "Night (22–06)",
}
TARGET: dict[str, str] = {
    "first_response": "First response",
    "next_update": "Next update",
    "resolution": "Resolution",
}
EVENT: dict[str, str] = {
    "created": "Order opened",
    "status": "Status changed",
    "agent_reply": "Reply to customer",
    "customer_message": "Customer message",
    "internal_note": "Internal note",
    "escalation": "Escalation",
}
#: What a customer holds and a merge moves (``domain.merge.HOLDING_KINDS``).
HOLDING: dict[str, str] = {
    "contacts": "Contacts",
    "transactions": "Transactions",
    "work_orders": "Orders",
    "identities": "Identities",
}

#: The fields a refused write names (form fields and the services' field names).
FIELD: dict[str, str] = {
    "subject": "Subject",
    "body": "Message",
    "title": "Title",
    "note": "Note",
    "announcement": "Announcement",
    "name": "Name",
    "member_ids": "Members",
    "types": "Work order types",
    "priorities": "Priorities",
    "customer_classes": "Customer classes",
    "channels": "Channels",
    "value": "Value",
    "version": "Version",
    "recovery_version": "Version",
    "customer_id": "Customer",
    "team_id": "Team",
    "policy_id": "SLA policy",
    "incident_id": "Linked incident",
    "owner_id": "First-contact owner",
    "assignee_id": "Assignee",
    "channel": "Channel",
    "outcome": "Outcome",
    "process": "Process",
    "treatment": "Treatment",
    "kind": "Kind",
    "type": "Type",
    "priority": "Priority",
    "customer_class": "Customer class",
    "to": "Status",
    "status": "Status",
    "tier": "Tier",
    "step": "Step",
    "survivor_id": "Customer to keep",
    "merged_id": "Customer to merge",
    "compensation_kind": "Compensation",
    "compensation_amount": "Amount (CNY)",
    "compensation.amount": "Amount (CNY)",
    "preferences": "Guest history",
    "file": "File",
    "encoding": "Text encoding",
    "cause.what": "What",
    "cause.why": "Why",
    "justice.outcome": "Outcome (distributive)",
    "justice.process": "Process (procedural)",
    "justice.treatment": "Treatment (interactional)",
    # The options of a wave's analyses (web.pages_analysis, pages_trends, pages_gaps).
    "scale": "Scale",
    "items": "Items",
    "column": "Column",
    "by": "Segment by",
    "weights": "Weights",
    "attitude": "Attitude",
    "repeat": "Repeat patronage",
    "customer_wave": "Customers' SERVQUAL wave",
    "manager_wave": "Managers' wave",
}
#: The records an error names: the entity names of ``check_version`` and of
#: ``NotFoundError``, which ``get_or_404`` derives from table names by stripping the
#: trailing "s" (hence ``customer_identitie``, ``sla_policie`` and ``recoverie``).
ENTITY: dict[str, str] = {
    "user": "User",
    "team": "Team",
    "team_member": "Team member",
    "customer": "Customer",
    "customer_identity": "Identity",
    "customer_identitie": "Identity",
    "incident": "Incident",
    "sla_calendar": "SLA calendar",
    "sla_policy": "SLA policy",
    "sla_policie": "SLA policy",
    "work_order": "Work order",
    "work_order_event": "Order event",
    "contact": "Contact",
    "transaction": "Transaction",
    "return_visit": "Return visit",
    "recovery": "Service recovery",
    "recoverie": "Service recovery",
    "escalation": "Escalation",
    "merge_log": "Merge record",
    "audit_log": "Audit entry",
    "webhook": "Webhook",
    "outbox": "Outbox message",
    "login_failure": "Failed login",
    "customer_blocking_key": "Merge blocking key",
    "merge_candidate": "Stored merge candidate",
    "work_order_kpi_fact": "Order KPI facts",
    "work_order_kpi_change": "Order changed since its KPI facts",
    "complaint_cause": "Complaint cause",
    "survey": "Survey",
    "survey_version": "Survey version",
    "survey_wave": "Survey wave",
    "survey_invitation": "Survey invitation",
    "survey_response": "Survey response",
    "survey_opt_out": "Survey opt-out",
    "survey link": "Survey link",
    "service_standard": "Service standard",
    "service_pledge": "Service pledge",
    "export": "Export",
}

# Surveys (issue 22): the builder's templates, question types, waves and invitations.
SURVEY_TEMPLATE: dict[str, str] = {
    "servqual": "SERVQUAL (22 expectations and perceptions, 1–7)",
    "servqual-zone": "SERVQUAL zone of tolerance (adequate, desired, perceived, 1–9)",
    "kano": "Kano (functional and dysfunctional question per feature)",
    "nps": "NPS (0–10 and a comment)",
    "csat": "CSAT (1–5 and a comment)",
    "ces": "Customer effort (1–7 and a comment)",
    "return-visit": "Return visit (satisfaction, NPS, justice for complaints)",
    "critical-incident": "Critical incident (the story, good or bad)",
    "five-element": "Five elements (environment and staff, us and a competitor)",
}
QUESTION_TYPE: dict[str, str] = {
    QuestionType.SCALE: "Scale",
    QuestionType.CHOICE: "Single choice",
    QuestionType.MULTI: "Multiple choice",
    QuestionType.TEXT: "Free text",
}
#: An SLA policy's fields and the events that start its next-update clock.
SLA_FIELD: dict[str, str] = {
    "first_response_minutes": "First response (business minutes)",
    "next_update_minutes": "Next update (business minutes)",
    "resolution_minutes": "Resolution (business minutes)",
    "next_update_from": "Next-update clock starts at",
    "customer_message": "A customer's message",
    "agent_reply": "Creation and each agent reply",
}
#: Where an outbox message stands (``services.outbox_reads.OutboxState``).
OUTBOX_STATE: dict[str, str] = {"pending": "Waiting", "failed": "Given up", "sent": "Sent"}
#: How an outbox message goes out.
OUTBOX_CHANNEL: dict[str, str] = {"email": "E-mail", "sms": "SMS", "webhook": "Webhook"}
#: The days of a calendar's week, as its JSON names them.
WEEKDAY: dict[str, str] = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
#: Display logic's tests (``show_if``), as a survey page states a condition.
CONDITION_TEST: dict[str, str] = {
    "equals": "is",
    "in": "is one of",
    "at_least": "is at least",
    "at_most": "is at most",
}
#: The facts of an invitation that display logic can test (``show_if.context``); a
#: segment's fact is ``seg_`` and its name.
CONDITION_CONTEXT: dict[str, str] = {
    "order_type": "Work order type",
    "recovery": "Followed a service recovery",
}
WAVE_STATUS: dict[str, str] = {WaveStatus.OPEN: "Open", WaveStatus.CLOSED: "Closed"}
#: A wave's analyses (``touchpoint analyze``'s commands) as a page names them.
INSTRUMENT: dict[str, str] = {
    Instrument.SERVQUAL: "SERVQUAL gaps",
    Instrument.ZONE: "Zone of tolerance",
    Instrument.KANO: "Kano categories",
    Instrument.CSI: "Satisfaction index (CSI)",
    Instrument.NPS: "Net Promoter Score (NPS)",
    Instrument.CSAT: "Satisfaction (CSAT)",
    Instrument.CES: "Customer effort (CES)",
    Instrument.DRIVERS: "Driver analysis",
    Instrument.LOYALTY: "Loyalty quadrants",
}
INVITATION_STATUS: dict[str, str] = {
    InvitationStatus.SENT: "Sent",
    InvitationStatus.OPENED: "Link opened",
    InvitationStatus.PARTIAL: "Partly answered",
    InvitationStatus.COMPLETED: "Completed",
    InvitationStatus.CANCELLED: "Cancelled",
    "scheduled": "Scheduled",
    "skipped": "Skipped",
}
SURVEY_CHANNEL: dict[str, str] = {
    SurveyChannel.LINK: "Link",
    SurveyChannel.EMAIL: "E-mail",
    SurveyChannel.SMS: "SMS",
    SurveyChannel.KIOSK: "Kiosk",
    SurveyChannel.PHONE: "Phone",
}
SKIP_REASON: dict[str, str] = {
    SkipReason.THROTTLED: "Surveyed recently (recontact rule)",
    SkipReason.NO_ADDRESS: "No address for this channel",
    SkipReason.OPTED_OUT: "Opted out of surveys",
    SkipReason.ALREADY_INVITED: "Already invited to this wave",
    SkipReason.UNKNOWN_CUSTOMER: "No such customer",
    SkipReason.QUOTA_FULL: "Quota of the customer's segment is full",
    "mass_incident": "Covered by the mass incident's notice",
    "no_customer_message": "Praise or consultation without a customer message",
    "reopened": "The order was reopened",
}
QUOTA_SEGMENT: dict[str, str] = {
    "customer_class": "Customer class",
    "region": "Region",
    "channel": "Channel",
}


#: What each webhook event announces (``domain.webhook_events``).
WEBHOOK_EVENT: dict[str, str] = {
    "work_order.opened": "Order opened",
    "work_order.updated": "Order edited",
    "work_order.assigned": "Order assigned",
    "work_order.in_progress": "Order in progress",
    "work_order.waiting_customer": "Order waiting for the customer",
    "work_order.waiting_third_party": "Order waiting for a third party",
    "work_order.resolved": "Order resolved",
    "work_order.closed": "Order closed",
    "work_order.reopened": "Order reopened",
    "work_order.agent_reply": "Reply to the customer",
    "work_order.customer_message": "Message from the customer",
    "work_order.return_visit": "Return visit recorded",
    "work_order.recovery": "Service recovery recorded",
    "work_order.recovery_opened": "Recovery order opened from an unhappy answer",
    "work_order.sla_warning": "SLA warning",
    "work_order.sla_breach": "SLA breach",
    "customer.created": "Customer created",
    "customer.merged": "Customers merged",
    "customer.unmerged": "Merge undone",
    "contact.logged": "Contact logged",
    "incident.opened": "Incident opened",
    "incident.resolved": "Incident resolved",
    "survey.response.completed": "Survey answered",
}

#: The columns of an import file that take one of a list of values, with their labels.
IMPORT_CHOICES: dict[str, dict[str, str]] = {
    "customers.kind": CUSTOMER_KIND,
    "customers.customer_class": CUSTOMER_CLASS,
    "transactions.kind": TRANSACTION,
    "responses.channel": SURVEY_CHANNEL,
    "responses.customer_class": CUSTOMER_CLASS,
}


def label(table: dict[str, str], value: str | None) -> str:
    """The msgid for ``value`` in ``table`` (the raw value when unknown; a dash when
    there is none, as for a return visit's channel before it is issued)."""
    if not value:
        return "—"
    return table.get(value, value)


def status_badge(status: str) -> str:
    """CSS badge class of a status."""
    s = WorkOrderStatus(status)
    if s.is_done:
        return "good"
    if s.is_waiting:
        return "paused"
    return ""


def priority_badge(priority: str) -> str:
    """CSS badge class of a priority."""
    p = Priority(priority)
    if p is Priority.URGENT:
        return "bad"
    if p is Priority.HIGH:
        return "warn"
    return ""


#: The label table of each condition that selects an SLA policy.
SLA_CONDITION: dict[str, dict[str, str]] = {
    "types": ORDER_TYPE,
    "priorities": PRIORITY,
    "customer_classes": CUSTOMER_CLASS,
    "channels": CHANNEL,
}
