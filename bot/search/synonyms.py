"""Everyday words and the official words the content uses for the same thing.

Residents say 房本 where a guide says 不动产权证书, 工钱 where a case says 工资, 娃 where a guide
says 新生儿. Each group below lists words that mean the same thing in a resident's question;
a query word from a group also looks for the group's other words (at a lower weight, see
lookup.py). These are general vocabulary, not question -> answer pairs: no group names a guide,
a case or an article.
"""

from __future__ import annotations

from functools import lru_cache

GROUPS: tuple[tuple[str, ...], ...] = (
    # people
    ("孩子", "小孩", "小孩子", "孩儿", "娃", "宝宝", "儿童", "子女", "小朋友"),
    ("新生儿", "婴儿", "宝宝", "刚出生"),
    ("老人", "老年人", "老人家", "长辈"),
    ("老公", "丈夫", "配偶"),
    ("老婆", "妻子", "配偶", "媳妇"),
    ("老板", "单位", "用人单位", "雇主"),
    ("员工", "职工", "劳动者", "工人"),
    ("房东", "出租人", "业主"),
    ("租客", "承租人", "房客", "租户"),
    ("邻居", "邻里", "相邻"),
    # money and work
    ("工钱", "工资", "薪水", "薪资", "工资款", "劳务费"),
    ("欠薪", "拖欠工资", "讨薪"),
    ("赔钱", "赔偿", "索赔", "赔付", "补偿"),
    ("退钱", "退款", "退费", "退货"),
    ("欠钱", "欠款", "借钱", "借款", "债务", "借"),
    ("辞退", "开除", "解雇", "裁员", "炒鱿鱼", "解除劳动合同"),
    ("辞职", "离职", "不干了"),
    ("失业", "没工作", "下岗"),
    ("社保", "社会保险"),
    ("医保", "医疗保险"),
    ("养老金", "退休金", "养老保险金"),
    ("个税", "个人所得税"),
    # papers and places
    ("房产证", "房本", "产权证", "不动产权证书", "不动产证"),
    ("驾照", "驾驶证", "驾驶本"),
    ("身份证", "居民身份证"),
    ("户口", "户籍"),
    ("上户口", "报户口", "户口登记"),
    ("出生证", "出生证明", "出生医学证明"),
    ("营业执照", "执照"),
    ("手写", "亲笔", "自书", "自己写"),
    ("个体", "个体户", "个体工商户"),
    ("地址", "经营场所", "住所"),
    ("租约", "租赁合同", "租房合同"),
    ("法院", "人民法院"),
    ("派出所", "公安机关", "警察"),
    ("消协", "消费者协会"),
    ("劳动局", "人社局", "劳动保障监察"),
    # acts
    ("起诉", "打官司", "告状", "告"),
    ("上告", "上诉"),
    ("举报", "投诉", "反映"),
    ("报警", "报案"),
    ("补办", "补领", "补发"),
    ("过户", "转移登记"),
    ("违章", "交通违法"),
    ("扣分", "记分"),
    ("消分", "减分"),
    ("消掉", "消除", "清除", "减掉"),
    ("关押", "羁押", "拘留", "坐牢", "关起来"),
    ("错抓", "冤枉", "冤案", "错判"),
    ("被打", "殴打", "打伤", "虐待", "家暴"),
    ("被骗", "诈骗", "骗钱", "上当", "骗", "骗走"),
    ("去世", "死亡", "过世", "病故", "身故"),
    ("看病", "就医", "就诊"),
    ("结婚", "婚姻"),
    ("生孩子", "生育", "分娩"),
    ("丢失", "遗失", "弄丢", "找不到", "不见了"),
    ("被偷", "偷", "被盗", "失窃", "盗窃"),
    ("损坏", "破损", "损毁", "弄坏"),
    ("迁", "迁移", "迁入", "迁出", "迁走", "迁过来", "迁过去", "迁回"),
    ("噪音", "噪声", "吵", "吵闹", "扰民"),
    ("着火", "火灾", "失火", "起火"),
    ("年纪", "年龄", "岁数"),
    ("变更", "更改", "变动", "改变", "变"),
    ("家电", "电器", "冰箱", "空调", "洗衣机", "电视机", "热水器"),
    ("饭店", "饭馆", "餐馆", "餐厅"),
    ("关门", "关店", "停业", "歇业", "倒闭", "不开了"),
)


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for group in GROUPS:
        for word in group:
            table.setdefault(word, [])
            table[word] += [w for w in group if w != word and w not in table[word]]
    return {w: tuple(others) for w, others in table.items()}


def alternatives(word: str) -> tuple[str, ...]:
    """Other words for the same thing (empty when the word is in no group)."""
    return _table().get(word, ())


def all_words() -> list[str]:
    """Every word in a group (jieba keeps them whole)."""
    return sorted(_table())
