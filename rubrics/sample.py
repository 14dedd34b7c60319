"""The sample rubrics shipped with the portal (M§3). The standard T/TMAC 033.F—2021 is not
public here: these criteria, weights and thresholds are a plausible sample, labelled as such
everywhere they are shown (`Rubric.is_sample`). Plain data, so the data migration can use it.

`install` writes them (the data migration and `rubrics.services.rubric_samples_ensure` both
call it, with historical or real models). Each criterion: (area, code, title, title_en,
guidance, guidance_en, weight, max_score).
"""

from decimal import Decimal

GRADE_TITLE = ("信息化工程与技术服务能力评价评分细则（样例）", "IETS capability rubric (sample)")
INNOVATION_TITLE = (
    "新一代信息技术应用与创新能力评价细则（样例）",
    "New-generation IT application and innovation rubric (sample)",
)

GRADE_CRITERIA = [
    (
        "basic",
        "B1",
        "法人资格与经营年限",
        "Legal status and years in business",
        "营业执照、成立时间、近三年无违法违规记录。",
        "Business licence, founding date, no violations in three years.",
        "5",
        "10",
    ),
    (
        "basic",
        "B2",
        "财务状况",
        "Financial standing",
        "近三年审计报告、营业收入与纳税情况。",
        "Audited accounts, revenue and taxes of the last three years.",
        "8",
        "10",
    ),
    (
        "basic",
        "B3",
        "人员规模与结构",
        "Staff size and structure",
        "从业人员数量、学历与职称结构、社保缴纳证明。",
        "Headcount, qualifications, social-insurance records.",
        "7",
        "10",
    ),
    (
        "basic",
        "B4",
        "资质与信用",
        "Qualifications and credit",
        "相关资质证书、信用评价与荣誉。",
        "Certificates held, credit ratings and awards.",
        "5",
        "10",
    ),
    (
        "technical",
        "T1",
        "技术团队与核心人员",
        "Technical team and key people",
        "技术负责人、项目经理与专业人员的资格和经验。",
        "Qualifications and experience of the technical lead, project managers and specialists.",
        "8",
        "10",
    ),
    (
        "technical",
        "T2",
        "研发投入与知识产权",
        "R&D investment and intellectual property",
        "研发费用占比、专利、软件著作权。",
        "R&D share of revenue, patents, software copyrights.",
        "7",
        "10",
    ),
    (
        "technical",
        "T3",
        "技术标准与方法体系",
        "Technical standards and methods",
        "采用的标准、工程方法、质量与信息安全体系。",
        "Standards, engineering methods, quality and security management systems.",
        "6",
        "10",
    ),
    (
        "technical",
        "T4",
        "技术装备与平台",
        "Technical equipment and platforms",
        "开发、测试、运维工具与平台。",
        "Development, test and operations tools and platforms.",
        "4",
        "10",
    ),
    (
        "service",
        "S1",
        "项目业绩",
        "Project track record",
        "近三年完成的信息化工程与技术服务项目及其规模。",
        "IT engineering and service projects completed in three years, and their size.",
        "9",
        "10",
    ),
    (
        "service",
        "S2",
        "服务流程与质量管理",
        "Service process and quality management",
        "服务规范、质量控制、验收记录。",
        "Service procedures, quality control, acceptance records.",
        "7",
        "10",
    ),
    (
        "service",
        "S3",
        "客户满意度",
        "Customer satisfaction",
        "客户评价、回访记录、投诉处理。",
        "Customer feedback, follow-up records, complaint handling.",
        "6",
        "10",
    ),
    (
        "service",
        "S4",
        "应急响应与保障",
        "Incident response and support",
        "应急预案、响应时限与演练记录。",
        "Contingency plans, response times and drills.",
        "3",
        "10",
    ),
    (
        "operational",
        "O1",
        "组织管理与制度",
        "Organisation and policies",
        "组织架构、管理制度与执行情况。",
        "Organisation chart, policies and how they are applied.",
        "6",
        "10",
    ),
    (
        "operational",
        "O2",
        "人才培养与激励",
        "Training and retention",
        "培训计划、考核与激励机制。",
        "Training plans, appraisal and incentives.",
        "5",
        "10",
    ),
    (
        "operational",
        "O3",
        "风险与合规管理",
        "Risk and compliance",
        "风险识别、合同管理、数据与保密合规。",
        "Risk identification, contracts, data protection and confidentiality.",
        "7",
        "10",
    ),
    (
        "operational",
        "O4",
        "持续改进",
        "Continuous improvement",
        "内部审核、管理评审与改进记录。",
        "Internal audits, management reviews and improvements.",
        "7",
        "10",
    ),
]

# M§11: the lowest total (0–100) reaching each grade, lowest grade first.
GRADE_THRESHOLDS = [
    ("IETS-4", "60"),
    ("IETS-3", "70"),
    ("IETS-2", "80"),
    ("IETS-1", "88"),
    ("IETS-E", "94"),
]

INNOVATION_CRITERIA = [
    (
        "basic",
        "N1",
        "创新战略与组织",
        "Innovation strategy and organisation",
        "创新规划、组织保障与投入。",
        "Innovation plans, organisation and funding.",
        "5",
        "10",
    ),
    (
        "technical",
        "N2",
        "新一代信息技术应用",
        "Use of new-generation IT",
        "云计算、大数据、人工智能、物联网等技术的应用深度。",
        "Depth of use of cloud, big data, AI, IoT and similar technologies.",
        "10",
        "10",
    ),
    (
        "technical",
        "N3",
        "自主创新成果",
        "Own innovations",
        "专利、软件著作权、标准与创新产品。",
        "Patents, software copyrights, standards and new products.",
        "8",
        "10",
    ),
    (
        "service",
        "N4",
        "应用成效",
        "Results of application",
        "应用带来的效率、质量与效益提升。",
        "Gains in efficiency, quality and value from the applications.",
        "8",
        "10",
    ),
    (
        "operational",
        "N5",
        "可持续发展能力",
        "Sustainability",
        "人才、合作生态与持续投入。",
        "People, partner ecosystem and continued investment.",
        "5",
        "10",
    ),
]


def install(Rubric, Criterion, GradeThreshold, *, now) -> None:
    """Publish version 1 of each kind unless that kind has a rubric already (idempotent)."""
    for kind, (title, title_en), criteria, thresholds in (
        ("grade", GRADE_TITLE, GRADE_CRITERIA, GRADE_THRESHOLDS),
        ("innovation", INNOVATION_TITLE, INNOVATION_CRITERIA, []),
    ):
        if Rubric.objects.filter(kind=kind).exists():
            continue
        # Rows are written while the rubric is a draft, then it is published.
        rubric = Rubric.objects.create(
            kind=kind,
            version=1,
            title=title,
            title_en=title_en,
            is_sample=True,
            state="draft",
            created_at=now,
        )
        Criterion.objects.bulk_create(
            Criterion(
                rubric=rubric,
                area=area,
                code=code,
                title=t,
                title_en=t_en,
                guidance=g,
                guidance_en=g_en,
                weight=Decimal(w),
                max_score=Decimal(m),
                position=i,
            )
            for i, (area, code, t, t_en, g, g_en, w, m) in enumerate(criteria)
        )
        GradeThreshold.objects.bulk_create(
            GradeThreshold(rubric=rubric, grade=grade, min_total=Decimal(total))
            for grade, total in thresholds
        )
        Rubric.objects.filter(pk=rubric.pk).update(state="published", published_at=now)
