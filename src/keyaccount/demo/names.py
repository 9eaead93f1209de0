"""Word lists for plausible company and person names (all invented)."""

from __future__ import annotations

# (city, administrative division code for the credit code, region label)
CN_CITIES = (
    ("北京", "110105", "华北"),
    ("上海", "310115", "华东"),
    ("深圳", "440300", "华南"),
    ("广州", "440106", "华南"),
    ("杭州", "330106", "华东"),
    ("苏州", "320505", "华东"),
    ("成都", "510107", "西南"),
    ("武汉", "420111", "华中"),
    ("西安", "610113", "西北"),
    ("天津", "120116", "华北"),
    ("青岛", "370212", "华东"),
    ("重庆", "500112", "西南"),
)
CN_CORES = (
    "华信",
    "中科",
    "远航",
    "恒通",
    "瑞丰",
    "鼎盛",
    "天成",
    "博远",
    "金桥",
    "海润",
    "启明",
    "卓越",
    "宏图",
    "长城",
    "东方",
    "新元",
    "汇智",
    "安泰",
    "永利",
    "凯德",
)
CN_INDUSTRIES = (
    ("科技", "信息技术"),
    ("制造", "装备制造"),
    ("物流", "物流运输"),
    ("医药", "医药健康"),
    ("电子", "电子元器件"),
    ("新材料", "化工材料"),
    ("食品", "快消零售"),
    ("能源", "能源电力"),
)
CN_FORMS = ("有限公司", "股份有限公司", "集团有限公司", "有限责任公司")
CN_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
CN_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "霞",
)
CN_TITLES = ("采购总监", "总经理", "财务经理", "技术负责人", "运营副总", "采购经理")

INTL = (
    ("Nordwind", "Logistics", "GmbH", "Hamburg", "EUR", "Europe", "物流运输"),
    ("Pacific Ridge", "Foods", "Inc.", "Seattle", "USD", "North America", "快消零售"),
    ("Lumen", "Devices", "Ltd.", "Manchester", "GBP", "Europe", "电子元器件"),
    ("Sakura", "Precision", "Co., Ltd.", "Osaka", "JPY", "Asia Pacific", "装备制造"),
    ("Blue Harbor", "Energy", "Corp.", "Houston", "USD", "North America", "能源电力"),
    ("Alpenrose", "Pharma", "AG", "Basel", "CHF", "Europe", "医药健康"),
    ("Southern Cross", "Materials", "Pty Ltd", "Sydney", "AUD", "Asia Pacific", "化工材料"),
    ("Maple Leaf", "Systems", "Inc.", "Toronto", "CAD", "North America", "信息技术"),
)
INTL_FIRST = ("Anna", "James", "Lena", "Kenji", "Maria", "Tom", "Sofia", "David", "Emma", "Lucas")
INTL_LAST = ("Schmidt", "Miller", "Brown", "Tanaka", "Rossi", "Wilson", "Meyer", "Clark")
INTL_TITLES = ("Head of Procurement", "CFO", "Operations Director", "Purchasing Manager")

COMPLAINT_TOPICS = (
    ("交付延迟", "logistics"),
    ("产品质量问题", "quality"),
    ("发票错误", "billing"),
    ("售后响应慢", "service"),
    ("价格争议", "commercial"),
)
VISIT_SUMMARIES = (
    "季度业务回顾，讨论明年采购计划",
    "高层拜访，沟通战略合作方向",
    "技术交流，了解新产线需求",
    "回访投诉处理结果",
    "商务谈判，续签年度框架协议",
)
