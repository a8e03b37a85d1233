"""Wording of the built-in survey templates, in zh-CN and en: data only, no logic.

Kept apart from :mod:`touchpoint.domain.survey_templates` so that the structure of each
template (ids, order, scales: an exact contract) reads on one screen, and the wording
(which a translator or a quality manager may refine) sits in one place.

The 22 SERVQUAL items follow the meaning of Parasuraman, Zeithaml & Berry's items
(1988, refined 1991), reworded for a generic service firm: each item has an expectation
statement ("excellent companies will …"), a perception statement ("this company …") and
a short attribute wording for the zone-of-tolerance grids (PZB 1994), where the column
heading says which level (minimum, desired, perceived) is asked.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "AGREE_5",
    "AGREE_7",
    "CSAT_5",
    "FIVE_ELEMENTS",
    "FIVE_ELEMENT_TARGETS",
    "KANO_ANSWERS",
    "SERVQUAL_ITEMS",
    "Bilingual",
    "FiveElement",
    "ServqualItem",
]

Bilingual = tuple[str, str]
"""A text as ``(zh-CN, en)``."""


class ServqualItem(NamedTuple):
    """One of PZB's 22 items: its dimension and its three wordings."""

    dimension: str
    expectation: Bilingual
    perception: Bilingual
    attribute: Bilingual


def _item(
    dimension: str, exp_zh: str, exp_en: str, per_zh: str, per_en: str, att_zh: str, att_en: str
) -> ServqualItem:
    """Build one item from its six strings (keeps the table below compact)."""
    return ServqualItem(dimension, (exp_zh, exp_en), (per_zh, per_en), (att_zh, att_en))


_T, _RL, _RS, _A, _EM = "tangibles", "reliability", "responsiveness", "assurance", "empathy"

SERVQUAL_ITEMS: tuple[ServqualItem, ...] = (
    # Tangibles 有形性 (items 1–4)
    _item(
        _T,
        "卓越的服务企业会使用现代、先进的设备。",
        "Excellent companies will use modern, up-to-date equipment.",
        "本公司使用现代、先进的设备。",
        "This company uses modern, up-to-date equipment.",
        "现代、先进的设备",
        "Modern, up-to-date equipment",
    ),
    _item(
        _T,
        "卓越的服务企业的营业场所和设施外观吸引人。",
        "The premises and facilities of excellent companies will look appealing.",
        "本公司的营业场所和设施外观吸引人。",
        "This company's premises and facilities look appealing.",
        "外观吸引人的营业场所和设施",
        "Appealing premises and facilities",
    ),
    _item(
        _T,
        "卓越的服务企业的员工衣着整洁、仪表得体。",
        "Employees of excellent companies will be neatly dressed and well presented.",
        "本公司的员工衣着整洁、仪表得体。",
        "This company's employees are neatly dressed and well presented.",
        "员工衣着整洁、仪表得体",
        "Neat, well-presented employees",
    ),
    _item(
        _T,
        "卓越的服务企业与服务相关的资料（如宣传册、账单）美观清晰。",
        "Materials that come with the service (leaflets, bills) will look clear and "
        "appealing at excellent companies.",
        "本公司与服务相关的资料（如宣传册、账单）美观清晰。",
        "This company's materials that come with the service (leaflets, bills) look clear "
        "and appealing.",
        "美观清晰的服务资料（宣传册、账单等）",
        "Clear, appealing service materials (leaflets, bills)",
    ),
    # Reliability 可靠性 (items 5–9)
    _item(
        _RL,
        "卓越的服务企业承诺在某个时间前完成的事，一定会按时完成。",
        "When excellent companies promise to do something by a certain time, they will do it.",
        "本公司承诺在某个时间前完成的事，都按时完成了。",
        "When this company promises to do something by a certain time, it does it.",
        "兑现按时完成的承诺",
        "Keeping promises to do things by a certain time",
    ),
    _item(
        _RL,
        "顾客遇到问题时，卓越的服务企业会真诚地帮助解决。",
        "When a customer has a problem, excellent companies will show a sincere interest in "
        "solving it.",
        "我遇到问题时，本公司真诚地帮助解决。",
        "When I have a problem, this company shows a sincere interest in solving it.",
        "真诚地帮助顾客解决问题",
        "Sincere interest in solving customers' problems",
    ),
    _item(
        _RL,
        "卓越的服务企业第一次就能把服务做好。",
        "Excellent companies will get the service right the first time.",
        "本公司第一次就把服务做好了。",
        "This company gets the service right the first time.",
        "第一次就把服务做好",
        "Getting the service right the first time",
    ),
    _item(
        _RL,
        "卓越的服务企业会在承诺的时间提供服务。",
        "Excellent companies will provide their services at the time they promise.",
        "本公司在承诺的时间提供服务。",
        "This company provides its services at the time it promises.",
        "在承诺的时间提供服务",
        "Services provided at the promised time",
    ),
    _item(
        _RL,
        "卓越的服务企业坚持记录准确无误。",
        "Excellent companies will insist on error-free records.",
        "本公司的记录准确无误。",
        "This company keeps its records free of errors.",
        "准确无误的记录",
        "Error-free records",
    ),
    # Responsiveness 响应性 (items 10–13)
    _item(
        _RS,
        "卓越的服务企业会准确告诉顾客服务何时进行。",
        "Excellent companies will tell customers exactly when services will be performed.",
        "本公司准确告诉我服务何时进行。",
        "This company tells me exactly when services will be performed.",
        "准确告知服务何时进行",
        "Telling customers exactly when services will be performed",
    ),
    _item(
        _RS,
        "卓越的服务企业的员工会为顾客提供及时的服务。",
        "Employees of excellent companies will give customers prompt service.",
        "本公司的员工为我提供了及时的服务。",
        "This company's employees give me prompt service.",
        "及时的服务",
        "Prompt service",
    ),
    _item(
        _RS,
        "卓越的服务企业的员工总是乐于帮助顾客。",
        "Employees of excellent companies will always be willing to help customers.",
        "本公司的员工总是乐于帮助我。",
        "This company's employees are always willing to help me.",
        "员工乐于帮助顾客",
        "Employees' willingness to help",
    ),
    _item(
        _RS,
        "卓越的服务企业的员工再忙也会回应顾客的请求。",
        "Employees of excellent companies will never be too busy to respond to customers' "
        "requests.",
        "本公司的员工再忙也会回应我的请求。",
        "This company's employees are never too busy to respond to my requests.",
        "员工再忙也回应顾客的请求",
        "Readiness to respond to requests, however busy",
    ),
    # Assurance 保证性 (items 14–17)
    _item(
        _A,
        "卓越的服务企业的员工的言行能让顾客产生信任。",
        "The behaviour of employees of excellent companies will instil confidence in customers.",
        "本公司员工的言行让我产生信任。",
        "The behaviour of this company's employees instils confidence in me.",
        "员工的言行让人信任",
        "Employees whose behaviour instils confidence",
    ),
    _item(
        _A,
        "顾客与卓越的服务企业打交道时会感到安心。",
        "Customers of excellent companies will feel safe in their dealings with them.",
        "我与本公司打交道时感到安心。",
        "I feel safe in my dealings with this company.",
        "顾客在交易中感到安心",
        "Customers feeling safe in their dealings",
    ),
    _item(
        _A,
        "卓越的服务企业的员工始终对顾客礼貌有加。",
        "Employees of excellent companies will be consistently courteous with customers.",
        "本公司的员工始终对我礼貌有加。",
        "This company's employees are consistently courteous with me.",
        "员工始终礼貌待客",
        "Consistently courteous employees",
    ),
    _item(
        _A,
        "卓越的服务企业的员工具备回答顾客问题的知识。",
        "Employees of excellent companies will have the knowledge to answer customers' questions.",
        "本公司的员工具备回答我的问题的知识。",
        "This company's employees have the knowledge to answer my questions.",
        "员工具备回答问题的知识",
        "Employees' knowledge to answer questions",
    ),
    # Empathy 移情性 (items 18–22)
    _item(
        _EM,
        "卓越的服务企业会给予每位顾客个别的关注。",
        "Excellent companies will give each customer individual attention.",
        "本公司给予我个别的关注。",
        "This company gives me individual attention.",
        "对每位顾客的个别关注",
        "Individual attention to each customer",
    ),
    _item(
        _EM,
        "卓越的服务企业的营业时间方便所有顾客。",
        "Excellent companies will have opening hours convenient to all their customers.",
        "本公司的营业时间对我很方便。",
        "This company has opening hours convenient to me.",
        "方便所有顾客的营业时间",
        "Opening hours convenient to all customers",
    ),
    _item(
        _EM,
        "卓越的服务企业的员工会给予顾客个性化的关照。",
        "Excellent companies will have employees who give customers personal attention.",
        "本公司的员工给予我个性化的关照。",
        "This company has employees who give me personal attention.",
        "员工给予个性化的关照",
        "Employees who give personal attention",
    ),
    _item(
        _EM,
        "卓越的服务企业会把顾客的最大利益放在心上。",
        "Excellent companies will have their customers' best interests at heart.",
        "本公司把我的最大利益放在心上。",
        "This company has my best interests at heart.",
        "把顾客的最大利益放在心上",
        "Having customers' best interests at heart",
    ),
    _item(
        _EM,
        "卓越的服务企业的员工了解顾客的具体需求。",
        "Employees of excellent companies will understand the specific needs of their customers.",
        "本公司的员工了解我的具体需求。",
        "This company's employees understand my specific needs.",
        "员工了解顾客的具体需求",
        "Employees who understand customers' specific needs",
    ),
)

AGREE_7: tuple[Bilingual, ...] = (
    ("非常不同意", "Strongly disagree"),
    ("不同意", "Disagree"),
    ("有点不同意", "Somewhat disagree"),
    ("中立", "Neither agree nor disagree"),
    ("有点同意", "Somewhat agree"),
    ("同意", "Agree"),
    ("非常同意", "Strongly agree"),
)
"""Labels of a 1–7 agreement scale, value 1 first."""

AGREE_5: tuple[Bilingual, ...] = (
    ("非常不同意", "Strongly disagree"),
    ("不同意", "Disagree"),
    ("中立", "Neither agree nor disagree"),
    ("同意", "Agree"),
    ("非常同意", "Strongly agree"),
)
"""Labels of a 1–5 agreement scale, value 1 first."""

CSAT_5: tuple[Bilingual, ...] = (
    ("非常不满意", "Very dissatisfied"),
    ("不满意", "Dissatisfied"),
    ("一般", "Neither satisfied nor dissatisfied"),
    ("满意", "Satisfied"),
    ("非常满意", "Very satisfied"),
)
"""Labels of the 1–5 CSAT scale, value 1 first."""

KANO_ANSWERS: tuple[Bilingual, ...] = (
    ("我喜欢", "I like it"),
    ("理所当然", "I expect it"),
    ("无所谓", "I am neutral"),
    ("能忍受", "I can live with it"),
    ("我不喜欢", "I dislike it"),
)
"""Kano answers in DOMAIN.md §3.3's order: 1 like, 2 must-be, 3 neutral, 4 live-with,
5 dislike (the evaluation table reads the values, so the order is a contract)."""


class FiveElement(NamedTuple):
    """One element of the five-element variant (五大要素) and what it means for the
    environment and for the staff."""

    code: str
    name: Bilingual
    environment: Bilingual
    staff: Bilingual


FIVE_ELEMENTS: tuple[FiveElement, ...] = (
    FiveElement(
        "TAN",
        ("有形度", "Tangibility"),
        (
            "设施、设备和环境整洁、舒适、美观",
            "facilities, equipment and surroundings are clean, comfortable and appealing",
        ),
        ("员工仪容仪表整洁、得体", "staff are neat and well presented"),
    ),
    FiveElement(
        "EMP",
        ("同理度", "Empathy"),
        (
            "环境为顾客着想（指引清楚、座位、无障碍、便利设施）",
            "the place is designed with "
            "customers in mind (clear signs, seating, accessibility, amenities)",
        ),
        ("员工理解并关心顾客的需要", "staff understand and care about customers' needs"),
    ),
    FiveElement(
        "RES",
        ("反应度", "Responsiveness"),
        (
            "排队和等待时间短，办理渠道便捷",
            "queues and waiting times are short and the ways to get served are convenient",
        ),
        ("员工迅速回应顾客的请求", "staff respond promptly to customers' requests"),
    ),
    FiveElement(
        "PRO",
        ("专业度", "Professionalism"),
        (
            "流程、工具和信息规范、专业",
            "processes, tools and information are orderly and professional",
        ),
        ("员工具备专业知识和技能", "staff have the professional knowledge and skills"),
    ),
    FiveElement(
        "REL",
        ("信赖度", "Reliability"),
        ("设施和系统运行稳定、安全可靠", "facilities and systems work dependably and safely"),
        (
            "员工言而有信，一次把事情做好",
            "staff keep their word and get things right the first time",
        ),
    ),
)
"""The five elements in DOMAIN.md §3.1's order: code, name, environment and staff wording."""

FIVE_ELEMENT_TARGETS: tuple[tuple[str, Bilingual], ...] = (
    ("ENV", ("环境", "Environment")),
    ("STAFF", ("人员", "Staff")),
)
"""What each element is judged for: the environment (环境) and the staff (人员)."""
