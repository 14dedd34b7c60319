"""A synthetic, realistic dataset loaded with PostgreSQL COPY (psycopg 3 `cursor.copy`).

At scale 1.0 (`--certificates 1000000`): 1,000 institutions, 20,000 assessors, ~333,000
organisations with Chinese names and valid USCCs (one applicant user each), 1,000,000
certificates in every status (each with the issued application it came from, its issue audit
entry and its past annual reviews), and 100,000 applications in every pipeline state with
their assessors, expert panels and audit histories. The audit entries form one valid hash
chain (`manage.py verify_audit_log` passes). Everything scales with `certificates`.

Dates are relative to `now`: ~20% of the valid certificates are past their validity and not
yet expired (the expiry job's work), some annual reviews are due or overdue, and the
re-evaluation window is open for the certificates that expire within three months.

Only the bench calls this (and a tiny-scale smoke test); it writes raw rows, bypassing the
services on purpose: a loader that ran a million transitions would take hours.
"""

import json
import random
import time
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth.hashers import make_password
from django.db import connection
from stdnum.cn import uscc as uscc_check

from ietsportal.audit.models import GENESIS_HASH, entry_hash

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
PROVINCE_CODES = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65",
]  # fmt: skip
CITIES = (
    "北京 上海 天津 重庆 深圳 广州 杭州 南京 苏州 成都 武汉 西安 合肥 长沙 郑州 济南 青岛 "
    "厦门 福州 宁波 无锡 大连 沈阳 哈尔滨 长春 昆明 贵阳 南宁 海口 兰州 银川 西宁 乌鲁木齐 "
    "拉萨 呼和浩特 太原 石家庄 南昌 珠海 东莞"
).split()
SYLLABLES = (
    "华 信 中 科 天 融 博 远 智 联 东 方 国 泰 安 恒 宇 航 数 云 创 新 达 通 力 源 瑞 丰 鼎 盛 "
    "汇 金 星 辰 海 川 兴 业 嘉 和 启 明 凯 越 腾 飞 卓 达 易 讯 网 神 州 长 城 浪 潮 同 方 太 极 "
    "软 通 曙 光 紫 光 普 华 用 友 金 蝶 东 软 万 达 致 远 久 其 先 锋 联 众 拓 维 思 特 奇"
).split()
TRADES = [
    "信息技术",
    "软件",
    "数据科技",
    "网络科技",
    "系统集成",
    "信息工程",
    "智能科技",
    "计算机技术",
    "云计算",
    "信息安全技术",
]
FORMS = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌宇浩"
GRADES = ["IETS-4", "IETS-3", "IETS-2", "IETS-1", "IETS-E"]
PIPELINE = [
    # (state, audit actions of its history so far)
    ("draft", ["application.create"]),
    ("submitted", ["application.create", "application.submit"]),
    ("returned_to_applicant", ["application.create", "application.submit", "application.return"]),
    ("document_review", ["application.create", "application.submit", "application.accept"]),
    (
        "onsite_review",
        ["application.create", "application.submit", "application.accept", "application.onsite"],
    ),
    (
        "reported",
        [
            "application.create",
            "application.submit",
            "application.accept",
            "application.onsite",
            "application.report",
        ],
    ),
    (
        "expert_review",
        [
            "application.create",
            "application.submit",
            "application.accept",
            "application.onsite",
            "application.report",
            "application.send_to_experts",
        ],
    ),
    (
        "publicity",
        [
            "application.create",
            "application.submit",
            "application.accept",
            "application.onsite",
            "application.report",
            "application.send_to_experts",
            "application.publish",
        ],
    ),
    ("refused", ["application.create", "application.submit", "application.refuse"]),
    (
        "rejected",
        [
            "application.create",
            "application.submit",
            "application.accept",
            "application.onsite",
            "application.report",
            "application.reject",
        ],
    ),
    ("withdrawn", ["application.create", "application.submit", "application.withdraw"]),
]
PASSWORD = "bench-password-1"  # every bench user's password (loopback only)


def make_uscc(serial: int, region: str, kind: str = "91") -> str:
    serial_code = "".join(ALPHABET[(serial // 31**i) % 31] for i in range(7))
    body = kind + region + "MA" + serial_code
    return body + uscc_check.calc_check_digit(body)


def org_name(rng: random.Random) -> str:
    return (
        rng.choice(CITIES)
        + "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
        + rng.choice(TRADES)
        + rng.choice(FORMS)
    )


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


class Copier:
    """COPY rows into a model's table; columns not given get the field's default."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.counts: dict[str, int] = {}

    def copy(self, model_or_table, columns: list[str], rows, defaults: dict | None = None):
        table = model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table
        extra = {}
        if not isinstance(model_or_table, str):
            given = set(columns) | set(defaults or {})
            for field in model_or_table._meta.concrete_fields:
                if field.column in given or field.primary_key:
                    continue
                if field.has_default():
                    value = field.get_default()
                elif field.null:
                    value = None
                else:
                    value = ""
                extra[field.column] = value
            extra.update(defaults or {})
        names = columns + list(extra)
        tail = tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in extra.values())
        n = 0
        sql = f"COPY {table} ({', '.join(names)}) FROM STDIN"
        with self.cursor.copy(sql) as cp:
            for row in rows:
                cp.write_row(tuple(row) + tail)
                n += 1
        self.counts[table] = self.counts.get(table, 0) + n
        return n


class Chain:
    """The audit hash chain, computed exactly as `audit_record` does."""

    def __init__(self):
        self.seq, self.prev = 0, GENESIS_HASH
        self.rows: list[tuple] = []

    def add(self, *, at, actor_id, actor_name, action, object_type, object_id, data, visible=True):
        self.seq += 1
        fields = {
            "seq": self.seq,
            "created_at": at,
            "actor_id": actor_id,
            "actor_name": actor_name,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "data": data,
            "visible_to_applicant": visible,
            "prev_hash": self.prev,
        }
        self.prev = entry_hash(**fields)
        self.rows.append(
            (
                self.seq,
                at,
                actor_id,
                actor_name,
                action,
                object_type,
                str(object_id),
                json.dumps(data, ensure_ascii=False),
                visible,
                fields["prev_hash"],
                self.prev,
            )
        )


def load(*, certificates: int = 1_000_000, now: datetime | None = None, seed: int = 8) -> dict:
    """Load the dataset into the (freshly migrated, empty) default database; returns counts
    and timings. PostgreSQL only (COPY)."""
    from django.conf import settings

    from applications.models import Application
    from certificates.models import AnnualReview, Certificate
    from ietsportal.accounts.models import Organization, User
    from ietsportal.audit.models import AuditEntry, AuditHead
    from institutions.models import Assessor, Institution

    assert connection.vendor == "postgresql", "the bench loader needs PostgreSQL (COPY)"
    started = time.perf_counter()
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    today = now.date()
    scale = certificates / 1_000_000
    n_inst = max(4, round(1000 * scale))
    n_assessors = max(8, round(20_000 * scale))
    n_orgs = max(10, certificates // 3)
    n_pipeline = max(20, round(100_000 * scale))
    n_experts = max(4, round(500 * scale))
    validity = settings.CERTIFICATE_VALIDITY_YEARS
    notice = timedelta(days=settings.ANNUAL_REVIEW_NOTICE_DAYS)
    grace = timedelta(days=settings.ANNUAL_REVIEW_GRACE_DAYS)
    password = make_password(PASSWORD)
    timings = {}
    chain = Chain()

    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # the psycopg 3 cursor
        cp = Copier(cur)
        t = time.perf_counter()

        # ---- institutions, their admins, assessors, experts, center staff
        inst_rows = []
        for i in range(1, n_inst + 1):
            national = i <= max(1, n_inst // 10)
            region = "" if national else rng.choice(PROVINCE_CODES)
            inst_rows.append(
                (
                    i,
                    f"{rng.choice(CITIES)}{''.join(rng.sample(SYLLABLES, 2))}评价中心{i}号",
                    make_uscc(10_000_000 + i, (region or "11") + "0000", "12"),
                    "national" if national else "local",
                    region,
                    date(2015, 1, 1) + timedelta(days=i % 3000),
                    "approved",
                    now - timedelta(days=400),
                )
            )
        cp.copy(
            Institution,
            ["id", "name", "uscc", "level", "region", "established_on", "state", "approved_at"],
            inst_rows,
        )
        user_cols = [
            "id",
            "username",
            "password",
            "role",
            "display_name",
            "organization_id",
            "institution_id",
            "email",
            "is_active",
            "is_staff",
            "is_superuser",
            "date_joined",
            "first_name",
            "last_name",
        ]
        uid = 0

        def user(username, role, org=None, inst=None):
            nonlocal uid
            uid += 1
            return (
                uid,
                username,
                password,
                role,
                person(rng),
                org,
                inst,
                f"{username}@bench.invalid",
                True,
                False,
                False,
                now - timedelta(days=500),
                "",
                "",
            )

        users = [user(f"center{i}", "center_staff") for i in range(1, 4)]
        center_id = 1
        admin_of = {}
        for i in range(1, n_inst + 1):
            users.append(user(f"inst{i}", "institution_admin", inst=i))
            admin_of[i] = uid
        assessors_of: dict[int, list[int]] = {}
        assessor_rows = []
        for a in range(1, n_assessors + 1):
            inst = (a - 1) % n_inst + 1
            users.append(user(f"assessor{a}", "assessor", inst=inst))
            assessors_of.setdefault(inst, []).append(uid)
            assessor_rows.append((uid, inst, f"PG{a:08d}", a % 5 != 0, "registered"))
        experts = []
        for e in range(1, n_experts + 1):
            users.append(user(f"expert{e}", "expert"))
            experts.append(uid)
        org_rows, applicant_of = [], {}
        for o in range(1, n_orgs + 1):
            region = rng.choice(PROVINCE_CODES)
            org_rows.append(
                (
                    o,
                    org_name(rng),
                    make_uscc(o, region + "0100"),
                    rng.choice(("enterprise",) * 8 + ("public_institution", "association")),
                    region,
                    f"{rng.choice(CITIES)}市科技园路{o % 999 + 1}号",
                    now - timedelta(days=1500),
                )
            )
        cp.copy(
            Organization,
            ["id", "name", "uscc", "org_type", "region", "address", "created_at"],
            org_rows,
        )
        for o in range(1, n_orgs + 1):
            users.append(user(f"org{o}", "applicant", org=o))
            applicant_of[o] = uid
        cp.copy(User, user_cols, users)
        cp.copy(
            Assessor,
            ["user_id", "institution_id", "registration_number", "full_time", "state"],
            assessor_rows,
        )
        timings["people"] = time.perf_counter() - t

        # ---- certificates and the issued applications they came from
        t = time.perf_counter()
        app_cols = [
            "id",
            "number",
            "organization_id",
            "institution_id",
            "kind",
            "requested_grade",
            "final_grade",
            "description",
            "declares_independent_legal_person",
            "declares_no_violations",
            "created_by_id",
            "created_at",
            "updated_at",
            "submitted_at",
            "accepted_at",
            "state",
            "lead_assessor_id",
            "publicity_starts_at",
            "publicity_ends_at",
            "closed_at",
        ]
        cert_rows, app_rows, review_rows = [], [], []
        # certificate statuses: (status, share)
        mix = [
            ("valid", 0.52),
            ("valid_past_expiry", 0.20),
            ("expired", 0.12),
            ("replaced", 0.08),
            ("revoked", 0.05),
            ("suspended", 0.03),
        ]
        cum, acc = [], 0.0
        for status, share in mix:
            acc += share
            cum.append((acc, status))
        issue_entries = []
        # Each certificate's status and dates first; then numbered in the order of issue, as
        # the portal numbers them (a row is created when its certificate is issued): ids, and
        # so the table's pages, follow the issue date, and the certificates a job finds due
        # together (issued in the same weeks) sit together, as in a real register.
        lives = []
        for _ in range(certificates):
            x = rng.random()
            status = next(s for p, s in cum if x <= p or p == cum[-1][0])
            if status in ("valid", "suspended"):
                issued = today - timedelta(days=rng.randrange(0, 365 * validity - 1))
            elif status == "valid_past_expiry":
                overdue_by = timedelta(days=rng.randrange(1, 60))
                issued = today - relativedelta(years=validity) - overdue_by
            else:
                issued = today - timedelta(days=rng.randrange(200, 365 * 8))
            expires = issued + relativedelta(years=validity)
            if status == "expired" and expires >= today:
                expires = today - timedelta(days=1)
                issued = expires - relativedelta(years=validity)
            lives.append((issued, expires, status))
        lives.sort(key=lambda life: life[0])
        for c, (issued, expires, status) in enumerate(lives, start=1):
            org = (c - 1) % n_orgs + 1
            inst = rng.randrange(1, n_inst + 1)
            kind = "grade" if c % 7 else "innovation"
            grade = rng.choice(GRADES) if kind == "grade" else ""
            db_status = "valid" if status == "valid_past_expiry" else status
            published = datetime(issued.year, issued.month, issued.day, 2, tzinfo=UTC)
            number = f"{'IETS' if kind == 'grade' else 'ITAI'}-{issued.year}-{c:07d}"
            app_rows.append(
                (
                    c,
                    f"SQ{issued.year}{c:07d}",
                    org,
                    inst,
                    kind,
                    grade,
                    grade,
                    "申请信息化工程与技术服务能力评价。",
                    True,
                    True,
                    applicant_of[org],
                    published - timedelta(days=90),
                    published,
                    published - timedelta(days=88),
                    published - timedelta(days=80),
                    "issued",
                    None,
                    published - timedelta(days=7),
                    published,
                    published,
                )
            )
            changed = published if db_status == "valid" else published + timedelta(days=200)
            cert_rows.append(
                (
                    c,
                    number,
                    c,
                    org,
                    inst,
                    kind,
                    grade,
                    issued,
                    expires,
                    db_status,
                    changed,
                    1,
                    "original",
                    "",
                    None,
                    False,
                    False,
                )
            )
            issue_entries.append((published, c, number, grade, expires))
            if db_status == "valid":
                for year in range(1, validity):
                    anniversary = issued + relativedelta(years=year)
                    if anniversary > today + notice:
                        break
                    deadline = anniversary + grace
                    if deadline < today - timedelta(days=30) or rng.random() < 0.8:
                        state = "passed" if deadline < today else "submitted"
                        if deadline < today and rng.random() < 0.25:
                            state = "due"  # overdue, not yet marked: the job's work
                        if anniversary > today:
                            continue  # not yet opened: the open job's work
                        review_rows.append((c, year, anniversary, deadline, state, ""))
        del lives
        # numbered in the order they were opened (their due date), as the open job numbers them
        review_rows.sort(key=lambda r: (r[2], r[0]))
        review_rows = [(n, *r) for n, r in enumerate(review_rows, start=1)]
        cp.copy(Application, app_cols, app_rows)
        del app_rows
        cp.copy(
            Certificate,
            [
                "id",
                "number",
                "application_id",
                "organization_id",
                "institution_id",
                "kind",
                "grade",
                "issued_on",
                "expires_on",
                "status",
                "status_changed_at",
                "version",
                "edition",
                "pdf",
                "pdf_version",
                "reevaluation_opened_notified",
                "reevaluation_closing_notified",
            ],
            cert_rows,
        )
        del cert_rows
        cp.copy(
            AnnualReview,
            ["id", "certificate_id", "year", "due_on", "deadline", "state", "materials"],
            review_rows,
        )
        del review_rows
        timings["certificates"] = time.perf_counter() - t

        # ---- applications in the pipeline, with assessors, experts and histories
        t = time.perf_counter()
        first = certificates + 1
        app_rows, assign_rows, perm_rows, review_rows, history = [], [], [], [], []
        cur.execute(
            "SELECT p.id, p.content_type_id FROM auth_permission p "
            "JOIN django_content_type ct ON ct.id = p.content_type_id "
            "WHERE ct.app_label = 'applications' AND p.codename = 'review_application'"
        )
        perm_id, ct_id = cur.fetchone()
        for k in range(n_pipeline):
            a = first + k
            org = rng.randrange(1, n_orgs + 1)
            inst = rng.randrange(1, n_inst + 1)
            state, actions = PIPELINE[k % len(PIPELINE)]
            kind = "grade" if k % 7 else "innovation"
            grade = rng.choice(GRADES) if kind == "grade" else ""
            created = now - timedelta(days=rng.randrange(1, 200), minutes=rng.randrange(1440))
            step = timedelta(days=3)
            updated = created + step * (len(actions) - 1)
            accepted = len(actions) >= 3 and actions[2] == "application.accept"
            team = rng.sample(assessors_of[inst], min(2, len(assessors_of[inst])))
            pub_start = updated if state == "publicity" else None
            app_rows.append(
                (
                    a,
                    f"SQ{created.year}{a:07d}",
                    org,
                    inst,
                    kind,
                    grade,
                    "",
                    "申请信息化工程与技术服务能力评价，附营业执照与业绩材料。",
                    True,
                    True,
                    applicant_of[org],
                    created,
                    min(updated, now),
                    created + step if state != "draft" else None,
                    created + 2 * step if accepted else None,
                    state,
                    team[0] if accepted else None,
                    pub_start,
                    pub_start + timedelta(days=7) if pub_start else None,
                    updated if state in ("refused", "rejected", "withdrawn") else None,
                )
            )
            if accepted:
                assign_rows.extend((a, u) for u in team)
            if state in ("expert_review", "publicity"):
                for e in rng.sample(experts, min(3, len(experts))):
                    perm_rows.append((e, perm_id, ct_id, str(a)))
                    submitted = state == "publicity"
                    review_rows.append(
                        (
                            a,
                            e,
                            1,
                            updated - step,
                            "能力达标，建议通过。" if submitted else "",
                            grade if submitted else "",
                            True if submitted else None,
                            updated if submitted else None,
                        )
                    )
            for i, action in enumerate(actions):
                actor = applicant_of[org] if i < 2 else admin_of[inst]
                history.append(
                    (
                        created + step * i,
                        actor,
                        f"org{org}" if i < 2 else f"inst{inst}",
                        action,
                        a,
                        {"number": f"SQ{created.year}{a:07d}", "to": state} if i else {},
                    )
                )
        cp.copy(Application, app_cols, app_rows)
        cp.copy("applications_application_assessors", ["application_id", "user_id"], assign_rows)
        cp.copy(
            "guardian_userobjectpermission",
            ["user_id", "permission_id", "content_type_id", "object_pk"],
            perm_rows,
        )
        from applications.models import ExpertReview

        cp.copy(
            ExpertReview,
            [
                "application_id",
                "expert_id",
                "round",
                "assigned_at",
                "opinion",
                "recommended_grade",
                "approves",
                "submitted_at",
            ],
            review_rows,
        )
        timings["pipeline"] = time.perf_counter() - t

        # ---- the audit chain, in time order
        t = time.perf_counter()
        events = [
            (at, 0, actor, name, action, "applications.application", a, data)
            for at, actor, name, action, a, data in history
        ]
        events.extend(
            (
                at,
                1,
                center_id,
                "center1",
                "certificate.issue",
                "certificates.certificate",
                c,
                {"number": number, "application": f"SQ{at.year}{c:07d}", "grade": grade,
                 "expires_on": expires.isoformat()},
            )
            for at, c, number, grade, expires in issue_entries
        )  # fmt: skip
        del issue_entries, history
        events.sort(key=lambda e: (e[0], e[1], e[6]))
        for at, _o, actor, name, action, otype, oid, data in events:
            chain.add(
                at=at,
                actor_id=actor,
                actor_name=name,
                action=action,
                object_type=otype,
                object_id=oid,
                data=data,
            )
        del events
        cp.copy(
            AuditEntry,
            [
                "seq",
                "created_at",
                "actor_id",
                "actor_name",
                "action",
                "object_type",
                "object_id",
                "data",
                "visible_to_applicant",
                "prev_hash",
                "hash",
            ],
            chain.rows,
        )
        AuditHead.objects.update_or_create(id=1, defaults={"seq": chain.seq, "hash": chain.prev})
        chain.rows = []
        timings["audit"] = time.perf_counter() - t

        t = time.perf_counter()
        for model in (Institution, User, Organization, Assessor, Application, Certificate,
                      AnnualReview, AuditEntry, ExpertReview):  # fmt: skip
            table = model._meta.db_table
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        cur.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - t
    return {
        "rows": dict(cp.counts),
        "timings": timings,
        "seconds": time.perf_counter() - started,
        "now": now.isoformat(),
    }
