"""A small labelled set of customers for merge candidates: planted duplicate pairs of
each kind the desk meets, look-alikes that are different people, and bystanders.

Each record is ``(label, name, identities)``; identities are raw ``(kind, value)`` as
an agent types them. ``DUPLICATES`` pairs labels of one person.
"""

from __future__ import annotations

from touchpoint.domain.customers import Identity, IdentityKind
from touchpoint.domain.merge import CustomerProfile

PHONE, EMAIL, ACCOUNT, SOCIAL = (
    IdentityKind.PHONE,
    IdentityKind.EMAIL,
    IdentityKind.ACCOUNT,
    IdentityKind.SOCIAL,
)

Record = tuple[str, str, tuple[tuple[IdentityKind, str], ...]]

RECORDS: tuple[Record, ...] = (
    # Typos, Latin and Chinese (one wrong letter or character, a homophone).
    ("typo_latin_a", "Catherine Miller", ((EMAIL, "cmiller@example.org"),)),
    ("typo_latin_b", "Catherine Millr", ()),
    ("typo_pinyin_a", "Zhang Wei", ((PHONE, "13911112222"),)),
    ("typo_pinyin_b", "Zhang Wie", ()),
    ("typo_hanzi_a", "李建国", ((ACCOUNT, "ACC-7781"),)),
    ("typo_hanzi_b", "李建图", ()),
    ("homophone_a", "欧阳明华", ()),
    ("homophone_b", "欧阳明化", ((PHONE, "13622223333"),)),
    # Simplified and traditional characters.
    ("traditional_a", "陈丽华", ((PHONE, "13566667777"),)),
    ("traditional_b", "陳麗華", ()),
    # Pinyin and hanzi, in both name orders and without a space.
    ("pinyin_a", "王小明", ()),
    ("pinyin_b", "Wang Xiaoming", ((SOCIAL, "wx:wangxm"),)),
    ("pinyin_swapped_a", "黄志强", ()),
    ("pinyin_swapped_b", "Zhiqiang Huang", ()),
    ("pinyin_compact_a", "刘洋", ((EMAIL, "liuyang@163.com"),)),
    ("pinyin_compact_b", "Liuyang", ()),
    # Swapped family and given names.
    ("swapped_a", "John Smith", ()),
    ("swapped_b", "Smith, John", ((PHONE, "+44 20 7946 0958"),)),
    # Phone formats: country code and separators; a landline with and without area code.
    ("phone_format_a", "赵敏", ((PHONE, "+86 138-0013-8001"),)),
    ("phone_format_b", "Zhao M.", ((PHONE, "13800138001"),)),
    ("landline_a", "Grace Hopper", ((PHONE, "010-8888 1234"),)),
    ("landline_b", "G. Hopper", ((PHONE, "8888-1234"),)),
    # A second record with the family's shared landline only.
    ("family_phone_a", "孙伟", ((PHONE, "13711119999"), (PHONE, "021-5555 6789"))),
    ("family_phone_b", "孫偉", ((PHONE, "021 5555 6789"),)),
    # E-mail aliases of one mailbox.
    ("alias_gmail_a", "Zhou Jie", ((EMAIL, "zhou.jie+shop@gmail.com"),)),
    ("alias_gmail_b", "周杰", ((EMAIL, "ZhouJie@googlemail.com"),)),
    ("alias_plus_a", "Anna Berg", ((EMAIL, "anna+news@example.com"),)),
    ("alias_plus_b", "Anna Berg-Olsen", ((EMAIL, "anna@example.com"),)),
    # Look-alikes: different people, names or numbers close to the ones above.
    ("lookalike_name", "Catherine Mills", ((EMAIL, "cathy.mills@example.net"),)),
    ("lookalike_phone", "钱多多", ((PHONE, "13800138002"),)),
    ("lookalike_hanzi", "李建军", ()),
    # Bystanders.
    ("bystander_1", "Ernest Hemingway", ((PHONE, "13099990000"),)),
    ("bystander_2", "诸葛亮", ()),
    ("bystander_3", "Ada Lovelace", ((EMAIL, "ada@example.com"),)),
    ("bystander_4", "郭靖", ((ACCOUNT, "ACC-1001"),)),
    ("bystander_5", "Marie Curie", ()),
)

DUPLICATES: tuple[tuple[str, str], ...] = tuple(
    (label, label[:-1] + "b") for label, _, _ in RECORDS if label.endswith("_a")
)


def profiles() -> list[CustomerProfile]:
    """The records as profiles, ids 1… in order."""
    return [
        CustomerProfile(
            i,
            name,
            frozenset((k, Identity.of(k, v).normalised) for k, v in idents),
        )
        for i, (_, name, idents) in enumerate(RECORDS, start=1)
    ]


def label_ids() -> dict[str, int]:
    """Label → id as in ``profiles``."""
    return {label: i for i, (label, _, _) in enumerate(RECORDS, start=1)}
