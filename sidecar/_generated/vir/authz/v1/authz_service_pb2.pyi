import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecordCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECORD_CATEGORY_UNSPECIFIED: _ClassVar[RecordCategory]
    RECORD_CATEGORY_COUNSELLING: _ClassVar[RecordCategory]
    RECORD_CATEGORY_MEDICAL: _ClassVar[RecordCategory]
    RECORD_CATEGORY_EDUCATION: _ClassVar[RecordCategory]
    RECORD_CATEGORY_SOCIAL_SERVICES: _ClassVar[RecordCategory]
    RECORD_CATEGORY_OTHER: _ClassVar[RecordCategory]

class NoticeStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTICE_STATUS_UNSPECIFIED: _ClassVar[NoticeStatus]
    NOTICE_STATUS_GIVEN: _ClassVar[NoticeStatus]
    NOTICE_STATUS_DEFERRED: _ClassVar[NoticeStatus]
    NOTICE_STATUS_WITHHELD: _ClassVar[NoticeStatus]

class NoticeRecipient(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTICE_RECIPIENT_UNSPECIFIED: _ClassVar[NoticeRecipient]
    NOTICE_RECIPIENT_VICTIM: _ClassVar[NoticeRecipient]
    NOTICE_RECIPIENT_PARENT_OR_GUARDIAN: _ClassVar[NoticeRecipient]
    NOTICE_RECIPIENT_CARE_REPRESENTATIVE: _ClassVar[NoticeRecipient]
    NOTICE_RECIPIENT_APPROPRIATE_ADULT: _ClassVar[NoticeRecipient]

class WithholdingGround(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WITHHOLDING_GROUND_UNSPECIFIED: _ClassVar[WithholdingGround]
    WITHHOLDING_GROUND_NOT_REASONABLY_PRACTICABLE: _ClassVar[WithholdingGround]
    WITHHOLDING_GROUND_INTERFERE_WITH_INVESTIGATION: _ClassVar[WithholdingGround]
    WITHHOLDING_GROUND_RISK_OF_SERIOUS_HARM: _ClassVar[WithholdingGround]
RECORD_CATEGORY_UNSPECIFIED: RecordCategory
RECORD_CATEGORY_COUNSELLING: RecordCategory
RECORD_CATEGORY_MEDICAL: RecordCategory
RECORD_CATEGORY_EDUCATION: RecordCategory
RECORD_CATEGORY_SOCIAL_SERVICES: RecordCategory
RECORD_CATEGORY_OTHER: RecordCategory
NOTICE_STATUS_UNSPECIFIED: NoticeStatus
NOTICE_STATUS_GIVEN: NoticeStatus
NOTICE_STATUS_DEFERRED: NoticeStatus
NOTICE_STATUS_WITHHELD: NoticeStatus
NOTICE_RECIPIENT_UNSPECIFIED: NoticeRecipient
NOTICE_RECIPIENT_VICTIM: NoticeRecipient
NOTICE_RECIPIENT_PARENT_OR_GUARDIAN: NoticeRecipient
NOTICE_RECIPIENT_CARE_REPRESENTATIVE: NoticeRecipient
NOTICE_RECIPIENT_APPROPRIATE_ADULT: NoticeRecipient
WITHHOLDING_GROUND_UNSPECIFIED: WithholdingGround
WITHHOLDING_GROUND_NOT_REASONABLY_PRACTICABLE: WithholdingGround
WITHHOLDING_GROUND_INTERFERE_WITH_INVESTIGATION: WithholdingGround
WITHHOLDING_GROUND_RISK_OF_SERIOUS_HARM: WithholdingGround

class CheckRequest(_message.Message):
    __slots__ = ("request_id", "requester", "record", "investigation", "justification", "clearance", "victim_notice")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    INVESTIGATION_FIELD_NUMBER: _ClassVar[int]
    JUSTIFICATION_FIELD_NUMBER: _ClassVar[int]
    CLEARANCE_FIELD_NUMBER: _ClassVar[int]
    VICTIM_NOTICE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    requester: Requester
    record: Record
    investigation: Investigation
    justification: Justification
    clearance: Clearance
    victim_notice: VictimNotice
    def __init__(self, request_id: _Optional[str] = ..., requester: _Optional[_Union[Requester, _Mapping]] = ..., record: _Optional[_Union[Record, _Mapping]] = ..., investigation: _Optional[_Union[Investigation, _Mapping]] = ..., justification: _Optional[_Union[Justification, _Mapping]] = ..., clearance: _Optional[_Union[Clearance, _Mapping]] = ..., victim_notice: _Optional[_Union[VictimNotice, _Mapping]] = ...) -> None: ...

class Requester(_message.Message):
    __slots__ = ("id", "body", "force", "rank")
    ID_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    id: str
    body: str
    force: str
    rank: str
    def __init__(self, id: _Optional[str] = ..., body: _Optional[str] = ..., force: _Optional[str] = ..., rank: _Optional[str] = ...) -> None: ...

class Record(_message.Message):
    __slots__ = ("id", "category", "holder", "holder_provides_counselling", "victim_id", "victim_under_18_or_lacking_capacity", "information_sought", "whole_file", "period_start", "period_end", "holder_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    HOLDER_PROVIDES_COUNSELLING_FIELD_NUMBER: _ClassVar[int]
    VICTIM_ID_FIELD_NUMBER: _ClassVar[int]
    VICTIM_UNDER_18_OR_LACKING_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    INFORMATION_SOUGHT_FIELD_NUMBER: _ClassVar[int]
    WHOLE_FILE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    HOLDER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    category: RecordCategory
    holder: str
    holder_provides_counselling: bool
    victim_id: str
    victim_under_18_or_lacking_capacity: bool
    information_sought: str
    whole_file: bool
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    holder_id: str
    def __init__(self, id: _Optional[str] = ..., category: _Optional[_Union[RecordCategory, str]] = ..., holder: _Optional[str] = ..., holder_provides_counselling: _Optional[bool] = ..., victim_id: _Optional[str] = ..., victim_under_18_or_lacking_capacity: _Optional[bool] = ..., information_sought: _Optional[str] = ..., whole_file: _Optional[bool] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., holder_id: _Optional[str] = ...) -> None: ...

class Investigation(_message.Message):
    __slots__ = ("crime_reference", "offence", "line_of_enquiry")
    CRIME_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    OFFENCE_FIELD_NUMBER: _ClassVar[int]
    LINE_OF_ENQUIRY_FIELD_NUMBER: _ClassVar[int]
    crime_reference: str
    offence: str
    line_of_enquiry: str
    def __init__(self, crime_reference: _Optional[str] = ..., offence: _Optional[str] = ..., line_of_enquiry: _Optional[str] = ...) -> None: ...

class Justification(_message.Message):
    __slots__ = ("relevance", "necessity", "proportionality", "overcollection_risk", "other_means", "probative_value", "presumption_rebuttal", "handling")
    RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    NECESSITY_FIELD_NUMBER: _ClassVar[int]
    PROPORTIONALITY_FIELD_NUMBER: _ClassVar[int]
    OVERCOLLECTION_RISK_FIELD_NUMBER: _ClassVar[int]
    OTHER_MEANS_FIELD_NUMBER: _ClassVar[int]
    PROBATIVE_VALUE_FIELD_NUMBER: _ClassVar[int]
    PRESUMPTION_REBUTTAL_FIELD_NUMBER: _ClassVar[int]
    HANDLING_FIELD_NUMBER: _ClassVar[int]
    relevance: str
    necessity: str
    proportionality: str
    overcollection_risk: bool
    other_means: str
    probative_value: str
    presumption_rebuttal: str
    handling: str
    def __init__(self, relevance: _Optional[str] = ..., necessity: _Optional[str] = ..., proportionality: _Optional[str] = ..., overcollection_risk: _Optional[bool] = ..., other_means: _Optional[str] = ..., probative_value: _Optional[str] = ..., presumption_rebuttal: _Optional[str] = ..., handling: _Optional[str] = ...) -> None: ...

class Clearance(_message.Message):
    __slots__ = ("id", "authoriser_id", "authoriser_rank", "granted_at", "expires_at", "crime_reference", "victim_id", "categories", "token")
    ID_FIELD_NUMBER: _ClassVar[int]
    AUTHORISER_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHORISER_RANK_FIELD_NUMBER: _ClassVar[int]
    GRANTED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CRIME_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    VICTIM_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    authoriser_id: str
    authoriser_rank: str
    granted_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    crime_reference: str
    victim_id: str
    categories: _containers.RepeatedScalarFieldContainer[RecordCategory]
    token: str
    def __init__(self, id: _Optional[str] = ..., authoriser_id: _Optional[str] = ..., authoriser_rank: _Optional[str] = ..., granted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., crime_reference: _Optional[str] = ..., victim_id: _Optional[str] = ..., categories: _Optional[_Iterable[_Union[RecordCategory, str]]] = ..., token: _Optional[str] = ...) -> None: ...

class VictimNotice(_message.Message):
    __slots__ = ("status", "given_at", "recipient", "withheld_ground", "deferral_reason")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    GIVEN_AT_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    WITHHELD_GROUND_FIELD_NUMBER: _ClassVar[int]
    DEFERRAL_REASON_FIELD_NUMBER: _ClassVar[int]
    status: NoticeStatus
    given_at: _timestamp_pb2.Timestamp
    recipient: NoticeRecipient
    withheld_ground: WithholdingGround
    deferral_reason: str
    def __init__(self, status: _Optional[_Union[NoticeStatus, str]] = ..., given_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recipient: _Optional[_Union[NoticeRecipient, str]] = ..., withheld_ground: _Optional[_Union[WithholdingGround, str]] = ..., deferral_reason: _Optional[str] = ...) -> None: ...

class Finding(_message.Message):
    __slots__ = ("code", "message", "reference")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    reference: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class CheckResponse(_message.Message):
    __slots__ = ("decision_id", "allow", "reasons", "advice", "obligations", "policy_revision", "evaluated_at")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ALLOW_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    ADVICE_FIELD_NUMBER: _ClassVar[int]
    OBLIGATIONS_FIELD_NUMBER: _ClassVar[int]
    POLICY_REVISION_FIELD_NUMBER: _ClassVar[int]
    EVALUATED_AT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    allow: bool
    reasons: _containers.RepeatedCompositeFieldContainer[Finding]
    advice: _containers.RepeatedCompositeFieldContainer[Finding]
    obligations: _containers.RepeatedCompositeFieldContainer[Finding]
    policy_revision: str
    evaluated_at: _timestamp_pb2.Timestamp
    def __init__(self, decision_id: _Optional[str] = ..., allow: _Optional[bool] = ..., reasons: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ..., advice: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ..., obligations: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ..., policy_revision: _Optional[str] = ..., evaluated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
