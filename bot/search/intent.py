"""What kind of answer a question asks for, from its wording alone.

- "procedure": the resident wants to get something done (怎么办、去哪办、要什么材料、多久、多少钱、
  能不能申请…): a service guide answers that.
- "rights": the resident asks whether something is lawful, valid or who is liable (合法吗、有效吗、
  谁赔、算不算…): a case explainer answers that.
- "law": the question asks for the statute itself (哪条、法条、法律依据、第…条).

The patterns are question frames, not topics: they say nothing about which guide or case fits,
only how to weigh the kinds against each other once the index has found candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.numerals import cn_to_int
from bot.search.text import Analyzer, default_analyzer, normalize

# asking how, where, with what, how long, how much, or whether one can apply
PROCEDURE_RE = re.compile(
    r"(怎么弄|怎么搞|怎么[申补领开迁换提取交报登注激认备起投写查转]|如何[办申补领开迁换提取交报登注激认备起投写查转]"
    r"|去哪|到哪|在哪|跑哪|哪些地方|什么地方|哪个地方|哪里[办申领交补报投登提开]?|哪个部门|什么部门|哪些部门|找谁|找哪|打什么电话|打哪个|哪个电话|电话[是多]"
    r"|材料|带什么|带哪些|准备什么|准备哪些|要什么|需要什么|要哪些|需要哪些|什么手续|哪些手续|啥手续|什么证|什么条件|哪些条件"
    r"|多久|多长时间|几天|多少天|几个月|什么时候能"
    r"|多少钱|收费|要钱|交钱|费用|免费|花钱|要不要钱|[几多]少分"
    r"|能不能[办申领补提]|可以[办申领补提]|能[办申领补提]|申请|办理|手续|流程|步骤|报名|登记|预约|补办|换领|申领|领取|提取|备案|认证|注销|过户|落户"
    r"|怎么[上处操填交续]|如何[上处操填交续]|哪儿|哪能|网上办|手机上|线上|窗口|几个工作日|交多少|需不需要|办什么|办哪些|哪些证|什么证|开证明|表格|申请书"
    r"|办哪|办啥|要办|几个证|哪几样"
    r"|报案|报警|投诉|举报|起诉|立案|仲裁|复议|调解|公证|咨询"
    r"|[想去要能可]告|告[他她它]|怎么告|告公司|告单位|告老板|不服)"
)
# asking whether something is lawful, valid, owed or who bears the loss
RIGHTS_RE = re.compile(
    r"(合法|违法|犯法|违规|侵权|有效|无效|算不算|算是|属于|是不是|归谁|谁赔|谁负责|谁承担|要赔|该赔|能赔|赔多少|赔不赔"
    r"|负责吗|担责|责任|有没有权|有权|能要回|要得回|还能要|要不要还|要还吗|能退吗|能不能退|会坐牢|会判|判刑|坐牢|被抓"
    r"|能继承|继承权|怎么分|怎么算|以哪|哪个优先|区别|骗局|算数|管用|该不该|应不应该|违约|效力|全责)"
)
# question frames that say what is wanted but not what about: dropped from the words that pick
# the guide or case (the intent already weighs the kinds). Topic-bearing procedure words such as
# 仲裁、复议、公证、过户 are not frames and stay.
FRAME_RE = re.compile(
    r"(要什么材料|需要什么材料|什么材料|哪些材料|材料|带什么|带哪些|准备什么|准备哪些|需要什么|需要哪些|要什么|要哪些"
    r"|什么手续|哪些手续|啥手续|手续|流程是啥|流程|步骤|多长时间|多久|多少天|几天|几个月|多少钱|收费吗|收费|要钱吗|要钱|交钱|费用|花钱"
    r"|去哪里|去哪儿|去哪|到哪里|到哪|在哪里|在哪儿|在哪|跑哪些地方|跑哪里|跑哪|哪些地方|什么地方|哪个地方|哪里|哪个部门|什么部门|哪些部门|找谁|找哪个|打什么电话|打哪个电话|哪个电话"
    r"|怎么申请|如何申请|怎么办理|如何办理|申请|办理|怎么办|怎么整|怎么弄|怎么搞|能不能|可不可以|可以吗|什么条件|哪些条件|条件)"
)
# phrases that look like a how-to frame but ask who owes or whether a refusal is lawful: "工钱找谁
# 要" asks who is liable, "法院不收起诉状" whether the court may refuse, "冷静期是多久" what a
# legal period is. They make the question a rights question and are not read as procedure.
RIGHTS_OVERRIDE_RE = re.compile(
    r"(找谁要|向谁要|问谁要|找谁赔|谁来赔|谁来给|该谁给|找谁负责"
    r"|不收|不受理|不予受理|不立案|不给立案|拒绝立案|不让立案|不给办|拒绝办理"
    r"|期是多久|期有多久|期是多长|期多长|期是几天|期有几天|时效是多久|时效多长|期限是多久|时间限制|有没有期限|有期限吗)"
)
# asking how much one receives (a benefit, an allowance, compensation), not what a service costs
BENEFIT_RE = re.compile(
    r"(领多少|能领|可以领|拿多少|能拿|发多少|补多少|补贴多少|给多少|一个月多少|每月多少|每个月多少|标准是多少"
    r"|待遇|领取标准|能赔多少|赔多少)"
)
# a guide that pays out money: what a benefit question is about
BENEFIT_NAME_RE = re.compile(r"(金|待遇|津贴|补贴|补助|救助|赔偿|低保|供养)")
# "有没有规定" asks about the law, unless an organisation's own rules are meant ("公司有没有规定")
NOT_AN_ORGANISATION = "".join(f"(?<!{w})" for w in ("公司", "单位", "小区", "学校", "物业", "厂里", "厂子", "医院",
                                                      "银行", "平台", "商家", "店里", "部门", "班级", "群里"))
# "…双倍工资那条": the article people have heard of, pointed at with 那条 (not "那条狗", "那条路")
THAT_ARTICLE = r"那一?条(?=$|规定|法律|法条|是|说|怎么|吗|呢|[?？。])"
LAW_RE = re.compile(rf"(哪一?条(?!路|道|街|线)|法条|条文|法律规定|法律有(?:没有)?(?:明确)?规定|法律(?:是)?怎么规定|{NOT_AN_ORGANISATION}(?:有没有规定|有规定吗)"
                    r"|哪部法|什么法|法律依据|依据|第.{1,8}条"
                    rf"|(?<![合违犯非])法规定|条例规定|法里|法律上(?!的事|的问题|的纠纷|的麻烦)|{THAT_ARTICLE})")


# asking which product, dish or show is good, or for a recommendation ("哪家奶茶好喝", "哪个手机牌子
# 好", "有什么好看的电视剧"): a matter of taste that no guide, case or statute answers, whatever
# word it shares with them (奶茶 of 开奶茶店, 手机 of 手机卡)
# Also which shop, bank or school is better ("哪家银行利息高", "哪家幼儿园比较好"), which gift to
# give, what to wear, or whether something looks good
OPINION_RE = re.compile(r"(好吃|好喝|好玩|好看的|好看(?=$|吗|呢|些|点|一点)|性价比|(?:哪个|哪种|什么)[\u4e00-\u9fff]{0,4}牌子|哪款"
                        r"|推荐(?:一下|几|一[部本个款家]|个)"
                        r"|哪家[\u4e00-\u9fff]{0,10}(?:比较|更|最)?(?:好|靠谱|划算|便宜|实惠|高)(?:一些|一点|点)?(?=$|吗|呢|啊|[?？。])"
                        r"|(?:什么|啥)礼物|穿(?:什么|啥))")
# everyday-life advice no guide, case or statute gives: cooking, whether food kept at home is still
# fine to eat, exercises, where to travel, a device's specifications, whether to see a doctor or get
# a vaccine, what a thing is worth, what decorating costs, home repairs, what a job earns, parking,
# why something has its colour ("啤酒鸭怎么做才入味", "牛奶过期一天了还能喝吗", "练背有哪些动作",
# "国庆去哪旅游人少"). Decisive unless the question also asks whether something is lawful or who is
# liable, or asks for the statute ("喝了过期牛奶拉肚子商家要赔吗")
LIFE_RE = re.compile(r"(怎么做(?:才|得)?(?:好吃|入味|好喝|香|嫩)|做法|怎么[煮炒炖蒸腌熬烤]|还能[吃喝]吗|能[吃喝]吗|能放多久|放多久|"
                     r"练[背腿胸腹臀肩]|健身动作|哪些动作|去哪(?:里|儿)?(?:玩|旅游|旅行)|旅游.{0,4}(?:人少|好玩)|配置要求|充话费"
                     r"|要不要去医院|要不要看医生|挂什么科|挂哪个科|打.{0,4}疫苗|估价|估个价|值多少钱|免签|装修.{0,6}(?:多少钱|花多少|要花)"
                     r"|漏雨|怎么修(?![复改正订])|收入高|收入怎么样|能挣多少|能赚多少|一个月挣多少|停车方便|好停车|(?:为啥|为什么)是?[红黄蓝绿白黑紫]色)")
# a question about the bot itself ("你是机器人吗", "你叫什么名字"): chit-chat no guide answers
# (名字 is a word of the guides on adding a name to a property certificate)
ABOUT_BOT_RE = re.compile(r"^(?:请问|那)?你(?:是谁|是不是(?:机器|真人|人工)|是机器|是真人|是人工|叫什么|几岁|多大|喜欢什么|会说|会不会说|是男|是女)")
# asking for a knack, a strategy, how hard something is or which style to choose ("有啥技巧", "难不
# 难", "选什么风格"): advice no guide, case or statute gives. Unlike OPINION_RE not decisive on its
# own ("打官司有什么技巧" may still be about the guide it names): see Lookup._verdict
ADVICE_RE = re.compile(r"(技巧|窍门|诀窍|秘诀|攻略|难不难|好不好考|难考吗|好考吗|什么风格|哪种风格)")
# "X了怎么办" / "有什么办法" asks what to do, usually a procedure, but also "对方不履行怎么办" (a
# case): a weak lean
WEAK_PROCEDURE_RE = re.compile(r"(怎么办|咋办|怎么整|如何是好|该怎么|怎么处理|有没有办法|什么办法|有办法吗)")  # 咋整 reads 怎么整


@dataclass(frozen=True, slots=True)
class Intent:
    procedure: bool
    rights: bool
    law: bool
    weak_procedure: bool = False
    benefit: bool = False
    # when the wording has both a how-to and a rights frame, the kind of the one asked last
    # ("要公证才有效吗" asks about validity; "被骗了合法吗怎么报警" asks what to do)
    last: str = ""
    # asks which product or dish is good (OPINION_RE) or about the bot itself: not covered
    opinion: bool = False
    # asks for a knack, strategy, difficulty or style (ADVICE_RE)
    advice: bool = False

    @property
    def kind(self) -> str:
        """The answer kind the wording favours: guide, case, law or "" (no lean)."""
        if self.law:
            return "law"
        if (self.procedure or self.weak_procedure) and not self.rights:
            return "guide"
        if self.rights and not self.procedure:
            return "case"
        return ""

    @property
    def lean(self) -> str:
        """A weaker preference when the wording has both frames: the kind asked last."""
        return self.kind or (self.last if self.procedure and self.rights and not self.law else "")


# "想" / "打算" / "准备" before a verb: jieba joins 想 with some verbs into another word ("想开"
# = get over it), which hides the verb ("想开个店" is about opening a shop)
# a wish ("想", "打算"), not the 想 of 思想/理想/梦想…
WISH_RE = re.compile(r"(?<![思理梦构感猜幻回联设预料])(?:想要|想|打算|准备)")
MODAL_RE = re.compile(WISH_RE.pattern + r"(?=[开办申领补换迁告问找买卖租退取离结注转把给])")


# spoken question words and the written ones the frames above are worded with: "要啥证" asks
# what "要什么证" asks, "咋办" what "怎么办" does
SPOKEN = str.maketrans({"啥": "什么", "咋": "怎么"})


def _written(text: str) -> str:
    return normalize(text).translate(SPOKEN)


# an amount of money ("三万块", "五千元", "2000块钱"): a detail of the story, not what it is about;
# its digits would match a story that names another amount ("充了三万元")
AMOUNT_RE = re.compile(r"[0-9零〇一二两三四五六七八九十百千万几]+(?:多)?(?:万|千|百)?(?:块钱|块|元|万)")


# asking for the statute ("是哪条规定", "法律上怎么说", "法律依据是什么"): says that an article is
# wanted (LAW_RE), not what about; kept as words it matches any article or case that says 法律 or
# 规定 (法律援助). A law's own name stays ("社会保险法怎么规定" -> "社会保险法").
LAW_FRAME_RE = re.compile(
    r"(法律上是怎么规定的|法律上怎么规定的?|法律是怎么规定的|法律怎么规定的?|法律是哪一?条(?:规定的?)?|法律有没有规定|法律有规定吗"
    r"|法律依据是什么|法律依据|依据是什么|法律上说|法律上(?!的事|的问题|的纠纷|的麻烦)|法律怎么说|有什么规定|是怎么规定的|怎么规定的?|有没有规定|有规定吗"
    r"|是哪一?条法律规定的?|是哪一?条规定的?|哪一?条法律规定的?|哪一?条规定的?|是哪一?条法律|哪一?条法律|是哪一?条(?!路|道|街|线)|哪一?条(?!路|道|街|线)"
    r"|法条|条文|法律规定|规定的|那一?条(?:规定的?|法律|法条)?(?=$|是|说|怎么|吗|呢|[?？。]))"
)
# a legal route the asker rules out ("不想打官司", "不愿意去仲裁"): the question is about another way,
# so the route is not a topic word (it would favour the guides for that route)
RULED_OUT_RE = re.compile(r"(?:不想|不愿意|不愿|不打算|不要|不用|别|不(?=去|走|上|找))(?:直接|马上|一上来就|先)?(?:去|走|上|找|闹到)?"
                          r"(?:打官司|起诉|诉讼|仲裁|法院|法律程序|报警|复议)")
# details of the asker's story that no guide or case turns on: where they are (a province or a
# large city: the guides are national; not the 西安 of "东西安全") and a brother, sister, uncle or
# aunt after 我/他/她 ("我哥", "我妹妹"), whom no guide or case names
PLACE_RE = re.compile(
    r"(北京|上海|天津|重庆|广州|深圳|杭州|成都|武汉|南京|(?<!东)西安|苏州|郑州|长沙|沈阳|青岛|济南|合肥|福州|厦门|昆明|南宁|贵阳"
    r"|哈尔滨|长春|石家庄|太原|南昌|兰州|乌鲁木齐|呼和浩特|拉萨|西宁|银川|海口|东莞|佛山|宁波|无锡|温州|大连"
    r"|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|广西|海南|四川|贵州|云南|陕西|甘肃|青海"
    r"|内蒙古|西藏|宁夏|新疆)(?:省|市)?")
# "要在多长时间内申请", "几天之内": how long one has to do something, i.e. its time limit, which the
# statutes and guides call 期限 or 时效 (a question on how long a service takes has no 内)
DEADLINE_RE = re.compile(r"(?:多长时间|多少时间|多久|多少天|几天|几个月|多少日|几年)(?:以内|之内|内)"
                         r"(申请|起诉|上诉|提出|提起|投诉|报销|认定)?")
KIN_RE = re.compile(r"(?<=[我他她])(?:哥哥|姐姐|弟弟|妹妹|叔叔|舅舅|姑姑|[哥姐弟妹叔舅姑姨])(?![夫娘妈婆])")


# a child under sixteen at work ("招了个十五岁的孩子干活"): what the statutes call 童工 (劳动法 art. 15)
AGE_RE = re.compile(r"([0-9]{1,2}|[一二三四五六七八九十]{1,4})周?岁")
WORK_RE = re.compile(r"(干活|打工|上班|做工|当学徒|招工|端盘子|进厂)")


def _child_at_work(text: str) -> bool:
    if not WORK_RE.search(text):
        return False
    for m in AGE_RE.finditer(text):
        number = m.group(1)
        # a range ("十四五岁"): its first age
        age = int(number) if number.isdigit() else (cn_to_int(number) or cn_to_int(number[:-1]))
        if age is not None and 0 < age < 16:
            return True
    return False


def topic(text: str, analyzer: Analyzer | None = None) -> str:
    """The question without its frames: what it is about ("人民调解收费吗" -> "人民调解"). A frame
    inside a longer word stays ("申请" in "复议申请书", "手续" in "手续费"); words are cut with
    the analyzer of the index searched (default: jieba's dictionary). A wish before a verb
    ("想开个店"), an amount of money, a legal route ruled out ("不想打官司"), a statute-asking
    frame ("是哪条规定"), a place ("在深圳") and a relative ("我哥") are dropped with the frames; a time
    limit asked for ("多久内") is read as the word 期限."""
    text = AMOUNT_RE.sub(" ", MODAL_RE.sub(" ", _written(text)))
    # the time limit and the act it is for ("申请"), kept apart from the frames removed below
    limits = " ".join(f"{m.group(1) or ''}期限" for m in DEADLINE_RE.finditer(text))
    text = DEADLINE_RE.sub(" ", text)
    # being in two different places ("人在深圳户口在河南"): the question is about living in one
    # place and belonging to another, which the guides call 异地 ("从北京到上海" is not)
    places = {m.group(1) for m in PLACE_RE.finditer(text) if text[max(0, m.start() - 1):m.start()] == "在"}
    if len(places) > 1:
        limits = f"{limits} 异地".strip()
    if _child_at_work(text):
        limits = f"{limits} 童工".strip()
    text = KIN_RE.sub(" ", PLACE_RE.sub(" ", LAW_FRAME_RE.sub(" ", RULED_OUT_RE.sub(" ", text))))
    cuts = (analyzer or default_analyzer()).boundaries(text)
    text = FRAME_RE.sub(lambda m: " " if m.start() in cuts and m.end() in cuts else m.group(0), text)
    return f"{text} {limits}" if limits else text


def detect(text: str) -> Intent:
    text = _written(text)
    rights = bool(RIGHTS_RE.search(text))
    framed = RIGHTS_OVERRIDE_RE.sub(" ", text)
    if framed != text:
        rights = True
    procedure = bool(PROCEDURE_RE.search(framed))
    weak = bool(WEAK_PROCEDURE_RE.search(framed))
    if framed != text:  # the rights frame is what the question asks
        procedure = weak = False
    last = ""
    if procedure and rights:
        ends = {kind: max((m.end() for m in pattern.finditer(framed)), default=-1)
                for kind, pattern in (("guide", PROCEDURE_RE), ("case", RIGHTS_RE))}
        if ends["guide"] != ends["case"]:
            last = max(ends, key=ends.__getitem__)
    return Intent(procedure=procedure, rights=rights, law=bool(LAW_RE.search(text)), weak_procedure=weak,
                  benefit=bool(BENEFIT_RE.search(text)), last=last,
                  opinion=bool(OPINION_RE.search(text) or ABOUT_BOT_RE.search(text)
                               or (LIFE_RE.search(text) and not rights and not LAW_RE.search(text))),
                  advice=bool(ADVICE_RE.search(text)))


def pays_out(name: str) -> bool:
    """Whether a guide's name says it pays money out (失业保险金, 生育津贴, 国家赔偿, 低保…)."""
    return bool(BENEFIT_NAME_RE.search(name))


def asks_time_limit(text: str) -> bool:
    """Whether the question asks how long one has to do something ("要在多少天内申请")."""
    return bool(DEADLINE_RE.search(_written(text)))


# an article that gives the person a time limit for their own act: a period, then (after whom it
# is addressed to) the act: "六十日内提出行政复议申请", "十五日内向人民法院提起诉讼", not a period
# for the authority ("应当在五日内进行审查", "六十日内作出行政复议决定")
PERSON_LIMIT_RE = re.compile(r"[0-9零〇一二两三四五六七八九十百]+(?:日|天|个月|年)内(?:[，,]?向[^，。；]{1,16})?"
                             r"(?:提出|申请|提起|起诉|上诉)")


def sets_person_limit(article_text: str) -> bool:
    return bool(PERSON_LIMIT_RE.search(article_text))
