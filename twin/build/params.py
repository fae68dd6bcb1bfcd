"""Parameters of the embedded twin's build: districts, rivers, subcentres, ridges, tunnels,
bridges, road classes and speeds, utility sources (what each is: geodata/README.md)."""

from __future__ import annotations

WORK_CRS = "EPSG:32648"
FILE_CRS = "EPSG:4326"
# --------------------------------------------------------------------------------------
# Parameters (documented in geodata/README.md)
# --------------------------------------------------------------------------------------
CORE = ("500103", "500104", "500105", "500106", "500107", "500108", "500109", "500112", "500113")
YUZHONG, JIANGBEI, NANAN = "500103", "500105", "500108"

NAME_EN = {
    "500101": "Wanzhou",
    "500102": "Fuling",
    "500103": "Yuzhong",
    "500104": "Dadukou",
    "500105": "Jiangbei",
    "500106": "Shapingba",
    "500107": "Jiulongpo",
    "500108": "Nan'an",
    "500109": "Beibei",
    "500110": "Qijiang",
    "500111": "Dazu",
    "500112": "Yubei",
    "500113": "Banan",
    "500114": "Qianjiang",
    "500115": "Changshou",
    "500116": "Jiangjin",
    "500117": "Hechuan",
    "500118": "Yongchuan",
    "500119": "Nanchuan",
    "500120": "Bishan",
    "500151": "Tongliang",
    "500152": "Tongnan",
    "500153": "Rongchang",
    "500154": "Kaizhou",
    "500155": "Liangping",
    "500156": "Wulong",
    "500229": "Chengkou",
    "500230": "Fengdu",
    "500231": "Dianjiang",
    "500233": "Zhongxian",
    "500235": "Yunyang",
    "500236": "Fengjie",
    "500237": "Wushan",
    "500238": "Wuxi",
    "500240": "Shizhu",
    "500241": "Xiushan",
    "500242": "Youyang",
    "500243": "Pengshui",
}

# District pairs whose shared boundary is a river (the boundary runs mid-channel).
RIVER_PAIRS = (
    ("500103", "500105"),
    ("500105", "500106"),
    ("500106", "500112"),  # Jialing
    ("500103", "500108"),
    ("500107", "500108"),
    ("500107", "500113"),  # Yangtze
    ("500104", "500113"),
    ("500105", "500108"),
    ("500105", "500113"),
    ("500112", "500113"),
)
RIVER_NE_NAMES = {"Chang Jiang": "Yangtze", "Jialing": "Jialing"}
BOUNDARY_TOL_M = 200.0  # two polygons' edges closer than this count as shared
NE_CORRIDOR_M = 3000.0  # NE river parts this close to a river boundary are replaced by it
RIVER_CLEARANCE_M = 150.0  # no road node this close to a river line
CROSS_BUFFER_M = 60.0  # an edge passing this close to a river line crosses it

# (district, lon, lat, weight, sigma_km, name): population kernels; the district's own
# centre from the boundary file is added with weight 1.
SUBCENTRES = (
    ("500103", 106.577, 29.557, 1.0, 1.2, "Jiefangbei"),
    ("500103", 106.520, 29.542, 0.6, 1.2, "Daping"),
    ("500105", 106.570, 29.573, 0.5, 1.2, "Jiangbeizui"),
    ("500105", 106.575, 29.588, 0.4, 1.5, "Wulidian"),
    ("500105", 106.505, 29.576, 0.4, 1.5, "Dashiba"),
    ("500105", 106.780, 29.620, 0.1, 2.0, "Yuzui"),
    ("500106", 106.457, 29.556, 0.6, 1.5, "Sanxia Square"),
    ("500106", 106.450, 29.580, 0.25, 1.2, "Ciqikou"),
    ("500106", 106.310, 29.610, 0.5, 2.5, "University Town"),
    ("500106", 106.320, 29.560, 0.3, 2.0, "Xiyong"),
    ("500107", 106.513, 29.505, 0.7, 1.8, "Yangjiaping"),
    ("500107", 106.490, 29.525, 0.6, 1.5, "Shiqiaopu"),
    ("500107", 106.450, 29.510, 0.4, 2.0, "Erlang"),
    ("500107", 106.430, 29.470, 0.2, 2.0, "Huayan"),
    ("500107", 106.320, 29.370, 0.2, 2.5, "Xipeng"),
    ("500104", 106.470, 29.430, 0.3, 1.5, "Jianqiao"),
    ("500108", 106.565, 29.528, 0.8, 1.5, "Nanping"),
    ("500108", 106.592, 29.578, 0.4, 1.2, "Danzishi"),
    ("500108", 106.655, 29.500, 0.5, 2.0, "Chayuan"),
    ("500109", 106.470, 29.720, 0.5, 2.0, "Caijia"),
    ("500109", 106.500, 29.780, 0.3, 1.8, "Shuitu"),
    ("500112", 106.630, 29.720, 0.6, 2.5, "Lianglu"),
    ("500112", 106.550, 29.720, 0.4, 2.0, "Yuelai"),
    ("500112", 106.540, 29.640, 0.6, 2.0, "Renhe"),
    ("500112", 106.600, 29.680, 0.4, 2.0, "Huixing"),
    ("500112", 106.830, 29.700, 0.12, 2.0, "Longxing"),
    ("500113", 106.530, 29.465, 0.6, 1.8, "Lijiatuo"),
    ("500113", 106.620, 29.430, 0.25, 2.0, "Nanquan"),
    ("500113", 106.630, 29.230, 0.15, 2.0, "Jieshi"),
    ("500113", 106.850, 29.550, 0.1, 2.0, "Mudong"),
)
CENTRE_SIGMA_KM = {"500103": 1.5}  # sigma of the official district centre (default 2.5 km)
RURAL_SHARE = {
    "500103": 0.0,
    "500104": 0.06,
    "500105": 0.05,
    "500106": 0.10,
    "500107": 0.10,
    "500108": 0.06,
    "500109": 0.20,
    "500112": 0.12,
    "500113": 0.25,
}
PIXEL_M = 250.0  # density raster resolution
CELL_M = 1000.0  # grid-cell (网格) size
NODE_TARGET = 38000  # expected number of sampled road nodes
NODE_EXPONENT = 0.70  # node density ~ population density ** NODE_EXPONENT
NODE_DENSITY_MIN, NODE_DENSITY_MAX = 1.0, 110.0  # nodes/km^2 (before ridge thinning)
RIDGE_NODE_FACTOR = 0.35  # node density multiplier on the ridge crest
MAX_EDGE_M = 1500.0  # longer proximity edges are dropped ...
MAX_LINK_M = 6000.0  # ... unless needed to keep a river bank connected (up to this)

# Ridges: (zh, en, [(lon, lat), ...], half-width m, crest height above valley m)
RIDGES = (
    (
        "中梁山—缙云山",
        "Zhongliang-Jinyun",
        ((106.255, 29.00), (106.33, 29.40), (106.42, 29.90), (106.46, 30.20)),
        1200.0,
        480.0,
    ),
    (
        "铜锣山",
        "Tongluo",
        ((106.545, 29.00), (106.60, 29.40), (106.72, 29.85), (106.77, 30.20)),
        1200.0,
        380.0,
    ),
    (
        "明月山",
        "Mingyue",
        ((106.71, 29.00), (106.78, 29.45), (106.95, 29.90), (107.02, 30.20)),
        1200.0,
        460.0,
    ),
)
VALLEY_BASE_M, VALLEY_RISE_M, VALLEY_SCALE_M = 185.0, 220.0, 2500.0

# Tunnels: (zh, en, ridge index, lon, lat near the ridge)
TUNNELS = (
    ("缙云山隧道", "Jinyunshan Tunnel", 0, 106.40, 29.78),
    ("大学城隧道", "University Town Tunnel", 0, 106.37, 29.62),
    ("中梁山隧道", "Zhongliangshan Tunnel", 0, 106.36, 29.55),
    ("华岩隧道", "Huayan Tunnel", 0, 106.35, 29.47),
    ("铜锣山隧道", "Tongluoshan Tunnel", 1, 106.67, 29.68),
    ("真武山隧道", "Zhenwushan Tunnel", 1, 106.63, 29.52),
    ("慈母山隧道", "Cimushan Tunnel", 1, 106.62, 29.46),
    ("明月山隧道", "Mingyueshan Tunnel", 2, 106.88, 29.72),
    ("东温泉隧道", "Dongwenquan Tunnel", 2, 106.80, 29.50),
)
TUNNEL_END_OFFSET = 1.8  # tunnel portals at this many ridge half-widths from the crest line

# Bridges: (zh, en, river, lon, lat, (district a, district b) or None, road_class)
BRIDGES = (
    (
        "千厮门嘉陵江大桥",
        "Qiansimen Jialing River Bridge",
        "Jialing",
        106.579,
        29.568,
        (YUZHONG, JIANGBEI),
        "arterial",
    ),
    (
        "黄花园大桥",
        "Huanghuayuan Bridge",
        "Jialing",
        106.560,
        29.568,
        (YUZHONG, JIANGBEI),
        "arterial",
    ),
    (
        "曾家岩嘉陵江大桥",
        "Zengjiayan Jialing River Bridge",
        "Jialing",
        106.548,
        29.568,
        (YUZHONG, JIANGBEI),
        "arterial",
    ),
    (
        "嘉陵江大桥",
        "Jialing River Bridge (Niujiaotuo)",
        "Jialing",
        106.537,
        29.566,
        (YUZHONG, JIANGBEI),
        "arterial",
    ),
    ("渝澳大桥", "Yu'ao Bridge", "Jialing", 106.530, 29.566, (YUZHONG, JIANGBEI), "arterial"),
    ("嘉华大桥", "Jiahua Bridge", "Jialing", 106.518, 29.568, (YUZHONG, JIANGBEI), "arterial"),
    (
        "红岩村嘉陵江大桥",
        "Hongyancun Jialing River Bridge",
        "Jialing",
        106.504,
        29.570,
        (YUZHONG, JIANGBEI),
        "arterial",
    ),
    ("石门大桥", "Shimen Bridge", "Jialing", 106.482, 29.566, ("500106", JIANGBEI), "arterial"),
    (
        "高家花园大桥",
        "Gaojiahuayuan Bridge",
        "Jialing",
        106.463,
        29.580,
        ("500106", JIANGBEI),
        "expressway",
    ),
    ("双碑大桥", "Shuangbei Bridge", "Jialing", 106.447, 29.612, ("500106", "500112"), "arterial"),
    ("蔡家嘉陵江大桥", "Caijia Jialing River Bridge", "Jialing", 106.475, 29.690, None, "arterial"),
    ("水土嘉陵江大桥", "Shuitu Jialing River Bridge", "Jialing", 106.480, 29.760, None, "arterial"),
    ("朝阳大桥", "Chaoyang Bridge (Beibei)", "Jialing", 106.440, 29.830, None, "arterial"),
    (
        "东阳嘉陵江大桥",
        "Dongyang Jialing River Bridge",
        "Jialing",
        106.440,
        29.860,
        None,
        "arterial",
    ),
    (
        "东水门长江大桥",
        "Dongshuimen Yangtze River Bridge",
        "Yangtze",
        106.582,
        29.560,
        (YUZHONG, NANAN),
        "arterial",
    ),
    (
        "石板坡长江大桥",
        "Shibanpo Yangtze River Bridge",
        "Yangtze",
        106.561,
        29.548,
        (YUZHONG, NANAN),
        "arterial",
    ),
    (
        "菜园坝长江大桥",
        "Caiyuanba Yangtze River Bridge",
        "Yangtze",
        106.546,
        29.545,
        (YUZHONG, NANAN),
        "arterial",
    ),
    ("鹅公岩大桥", "Egongyan Bridge", "Yangtze", 106.536, 29.515, ("500107", NANAN), "arterial"),
    (
        "李家沱长江大桥",
        "Lijiatuo Yangtze River Bridge",
        "Yangtze",
        106.525,
        29.490,
        ("500107", "500113"),
        "arterial",
    ),
    (
        "马桑溪长江大桥",
        "Masangxi Yangtze River Bridge",
        "Yangtze",
        106.500,
        29.455,
        ("500104", "500113"),
        "expressway",
    ),
    (
        "白居寺长江大桥",
        "Baijusi Yangtze River Bridge",
        "Yangtze",
        106.505,
        29.470,
        ("500104", "500113"),
        "arterial",
    ),
    (
        "鱼洞长江大桥",
        "Yudong Yangtze River Bridge",
        "Yangtze",
        106.500,
        29.400,
        ("500104", "500113"),
        "arterial",
    ),
    (
        "朝天门长江大桥",
        "Chaotianmen Yangtze River Bridge",
        "Yangtze",
        106.588,
        29.588,
        (JIANGBEI, NANAN),
        "arterial",
    ),
    (
        "大佛寺长江大桥",
        "Dafosi Yangtze River Bridge",
        "Yangtze",
        106.600,
        29.612,
        (JIANGBEI, NANAN),
        "expressway",
    ),
    (
        "寸滩长江大桥",
        "Cuntan Yangtze River Bridge",
        "Yangtze",
        106.630,
        29.610,
        (JIANGBEI, NANAN),
        "arterial",
    ),
    (
        "郭家沱长江大桥",
        "Guojiatuo Yangtze River Bridge",
        "Yangtze",
        106.700,
        29.610,
        None,
        "arterial",
    ),
    ("广阳岛大桥", "Guangyang Island Bridge", "Yangtze", 106.740, 29.600, None, "arterial"),
    ("鱼嘴长江大桥", "Yuzui Yangtze River Bridge", "Yangtze", 106.790, 29.610, None, "arterial"),
)
MIN_BANK_NODES = 300  # generated crossings only join banks with at least this many nodes
BRIDGE_GAP_M = 7000.0  # along each river, add generated crossings in gaps longer than this
RIVER_ZH = {"Jialing": "嘉陵江", "Yangtze": "长江"}

SPEED_KPH = {"expressway": 80.0, "arterial": 50.0, "local": 30.0, "mountain": 30.0}

# Inner ring 内环 waypoints: bridges by English name or (lon, lat)
RING = (
    "Dafosi Yangtze River Bridge",
    (106.590, 29.520),
    (106.545, 29.470),
    "Masangxi Yangtze River Bridge",
    (106.450, 29.505),
    (106.430, 29.550),
    "Gaojiahuayuan Bridge",
    (106.500, 29.600),
    (106.560, 29.620),
)
# Expressway radials: (from ring waypoint lon/lat, to lon/lat)
RADIALS = (
    ((106.430, 29.550), (106.310, 29.610)),  # Chengyu expressway to University Town
    ((106.500, 29.600), (106.438, 29.825)),  # to Beibei
    ((106.560, 29.620), (106.640, 29.720)),  # airport expressway
    ((106.545, 29.470), (106.519, 29.382)),  # to Yudong
    ((106.590, 29.520), (106.655, 29.500)),  # to Chayuan (Zhenwushan Tunnel)
    ((106.560, 29.620), (106.830, 29.700)),
)  # to Longxing (Tongluoshan Tunnel)

WATER_PLANTS = (
    ("和尚山水厂", "Heshangshan Water Plant", 106.525, 29.515),
    ("丰收坝水厂", "Fengshouba Water Plant", 106.495, 29.480),
    ("梁沱水厂", "Liangtuo Water Plant", 106.470, 29.600),
    ("江北水厂", "Jiangbei Water Plant", 106.520, 29.575),
    ("悦来水厂", "Yuelai Water Plant", 106.520, 29.720),
    ("北碚水厂", "Beibei Water Plant", 106.440, 29.835),
    ("江南水厂", "Jiangnan Water Plant", 106.600, 29.580),
    ("鱼洞水厂", "Yudong Water Plant", 106.515, 29.395),
)
GAS_GATES = (
    ("两路门站", "Lianglu Gas Gate Station", 106.640, 29.760),
    ("茶园门站", "Chayuan Gas Gate Station", 106.690, 29.500),
    ("鱼洞门站", "Yudong Gas Gate Station", 106.540, 29.350),
    ("西永门站", "Xiyong Gas Gate Station", 106.290, 29.580),
    ("北碚门站", "Beibei Gas Gate Station", 106.420, 29.860),
)
OLD_CORES = ((106.577, 29.557), (106.532, 29.575), (106.565, 29.528), (106.457, 29.556))
