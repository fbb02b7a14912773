"""Every user-facing string, Simplified Chinese first, English second. Nothing else holds text."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

LOCALES = ("zh", "en")

ZH: dict[str, str] = {
    # menu and help
    "welcome": "您好！我是「法治学习与办事助手」。\n可以学法练习、模拟考试、复习错题。请选择：",
    "menu": "请选择：",
    "btn_practice": "📘 学法练习",
    "btn_exam": "📝 模拟考试",
    "btn_wrong": "📕 错题本",
    "btn_review": "🔁 今日复习",
    "btn_me": "📊 我的学习",
    "btn_lang": "🌐 English",
    "btn_menu": "🏠 主菜单",
    "btn_back": "↩ 返回",
    "help": (
        "可用命令：\n"
        "/start 主菜单\n/practice 学法练习（专项、顺序、随机）\n/exam 模拟考试\n"
        "/wrong 错题本\n/review 今日复习\n/me 我的学习\n/lang 切换语言（中文/English）\n"
        "/cancel 结束当前练习\n/remind 每日一练提醒\n/help 帮助\n\n"
        "答题时可点按钮，也可直接回复选项字母，如 A 或 AC；判断题回复 对/错。"
    ),
    "unknown": "抱歉，没有理解您的意思。发送 /help 查看可用命令，或从菜单选择：",
    "empty": "收到空消息。请发送文字，或从菜单选择：",
    "too_long": "消息太长（超过 {limit} 字），请精简后再发。",
    "bad_action": "这个按钮已失效或不属于您，请从菜单重新开始。",
    "stale": "这道题已经作答过了，请继续下一题。",
    "error": "抱歉，处理时出了点问题，您的作答记录未受影响。请稍后再试或发送 /start。",
    "cancelled": "已结束当前练习。",
    "nothing_to_cancel": "当前没有进行中的练习。",
    "lang_set": "已切换为中文。",
    "bad_args": "命令 {command} 不需要这些参数，已按 {command} 处理。",
    # questions
    "type_single": "单选",
    "type_multiple": "多选",
    "type_judge": "判断",
    "judge_true": "正确",
    "judge_false": "错误",
    "multi_hint": "（多选：点选全部正确选项后点「确认」，或直接回复字母如 AC）",
    "btn_confirm": "✅ 确认",
    "pick_first": "请先选择至少一个选项。",
    "not_an_answer": "请回复选项字母（如 A 或 AC），判断题回复 对/错，或点按钮作答。",
    # practice
    "practice_menu": "学法练习：请选择练习方式。\n专项练习按法律分类，顺序练习从上次停下的地方继续。",
    "btn_topic": "📚 专项练习",
    "btn_sequential": "🔢 顺序练习",
    "btn_random": "🎲 随机练习",
    "topic_menu": "专项练习：请选择法律（括号内为题数）。",
    "practice_head": "【{mode}】第 {n} 题 · {type}",
    "mode_topic": "专项·{scope}",
    "mode_sequential": "顺序练习 {pos}/{total}",
    "mode_random": "随机练习",
    "mode_wrong": "错题本",
    "mode_review": "今日复习",
    "right": "✅ 回答正确！",
    "wrong_ans": "❌ 回答错误。正确答案：{answer}",
    "your_answer": "您的答案：{answer}",
    "explanation": "【解析】{text}",
    "article": "【法条】《{law}》{text}",
    "added_wrong": "已加入错题本。",
    "wrong_progress": "错题本：本题已连续答对 {streak}/{need} 次。",
    "wrong_cleared": "🎉 本题已连续答对 {need} 次，已移出错题本。",
    "btn_next": "➡ 下一题",
    "btn_end": "⏹ 结束练习",
    "practice_summary": "本次练习 {n} 题，答对 {right} 题。",
    "wrong_empty": "错题本是空的，继续保持！",
    "wrong_intro": "错题本共 {n} 题。每题连续答对 {need} 次后移出。",
    "btn_wrong_practice": "开始练错题",
    "review_none": "今天没有需要复习的题目。答错的题会按遗忘规律（FSRS）安排复习。",
    "review_done": "今天的复习已全部完成！",
    "no_questions": "这个范围里还没有题目。",
    # exam
    "exam_menu": "模拟考试：请选择试卷。",
    "exam_info": (
        "《{title}》\n共 {count} 题，满分 {max_score} 分，{pass_mark} 分及格，限时 {minutes} 分钟。\n{attempts}\n"
        "交卷前可以前后翻题、修改答案；交卷前不显示对错。计时以服务器为准，时间到自动交卷。"
    ),
    "attempts_unlimited": "可多次参加。",
    "attempts_left": "还可参加 {left} 次（共 {total} 次）。",
    "no_attempts_left": "《{title}》的考试次数已用完。",
    "btn_start_exam": "▶ 开始考试",
    "btn_resume_exam": "▶ 继续考试",
    "exam_resume": "您有一场进行中的考试《{title}》，剩余 {remaining}，已答 {answered}/{count} 题。",
    "exam_other_open": "您还有一场进行中的考试《{title}》，请先完成或交卷。",
    "exam_paper_error": "题库题目不足，暂时无法组卷，请联系管理员。",
    "exam_head": "【{title}】第 {n}/{count} 题 · {type} · {points} 分\n⏱ 剩余 {remaining} · 已答 {answered}/{count}",
    "btn_prev": "◀ 上一题",
    "btn_next_q": "下一题 ▶",
    "btn_sheet": "🗂 答题卡",
    "btn_submit": "📤 交卷",
    "sheet": "答题卡（✓ 已答，○ 未答）：\n{grid}\n\n已答 {answered}/{count} 题。",
    "btn_goto": "第{n}题",
    "confirm_submit": "还有 {n} 题未作答（{list}），确定交卷吗？交卷后不能修改。",
    "btn_confirm_submit": "确定交卷",
    "btn_continue": "继续答题",
    "exam_over_time": "⏰ 考试时间已到，系统已自动交卷，之后的作答不再计入。",
    "exam_closed": "这场考试已经结束。",
    "result": "《{title}》成绩：{score} 分（满分 {max_score}，{pass_mark} 分及格）\n{verdict}\n答对 {correct}/{total} 题，用时 {used}。",
    "passed": "✅ 通过",
    "failed": "❌ 未通过",
    "btn_review_wrong": "查看错题",
    "btn_retry": "再考一次",
    "review_head": "错题回顾 {k}/{n}（第 {pos} 题）",
    "review_all_right": "全部答对，没有错题！",
    "unanswered_mark": "未作答",
    "exam_left": "考试仍在计时。发送 /exam 可继续作答，或点「交卷」。",
    # me
    "me": "我的学习：\n练习 {answers} 题，正确率 {rate}\n错题本 {wrong} 题，今日待复习 {due} 题\n{exams}",
    "me_exams": "最近考试：\n{lines}",
    "me_no_exams": "还没有参加过考试。",
    "me_exam_line": "· {title}：{score} 分 {verdict}",
    # bot command menu (Telegram set_my_commands descriptions)
    "cmd_start": "主菜单",
    "cmd_help": "帮助",
    "cmd_practice": "学法练习（专项、顺序、随机）",
    "cmd_exam": "模拟考试",
    "cmd_wrong": "错题本",
    "cmd_review": "今日复习",
    "cmd_me": "我的学习",
    "cmd_lang": "切换语言（中文/English）",
    "cmd_cancel": "结束当前练习",
    # WeChat / WeCom channel (numbered menus instead of buttons; the 5-second reply limit)
    "wx_choose": "回复 {first}-{last} 选择",
    "wx_choose_one": "回复 1 选择",
    "wx_continued": "（未完，其余内容随后发送）",
    "wx_truncated": "……（内容过长，已省略部分）",
    "wx_later": "正在处理，结果稍后发送给您。",
    # reminders and broadcasts (issue 5: /remind, the daily question, exam-window reminders, digest)
    "cmd_remind": "每日一练提醒（开启、关闭、时间）",
    "remind_status": (
        "⏰ 每日一练提醒：{state}\n提醒时间：每天 {time}（{zone}）\n免打扰时段：{quiet_start}–{quiet_end}\n\n"
        "点下面的时间即开启并设为该时间；也可发送 /remind 20:30 自定义时间，/remind off 关闭。"
    ),
    "remind_state_on": "已开启",
    "remind_state_off": "未开启",
    "remind_on": "✅ 已开启每日一练提醒。",
    "remind_off": "🔕 已关闭每日一练提醒，考试提醒也不再发送给您。",
    "remind_quiet_refused": "这个时间在免打扰时段（{start}–{end}）内，请选择其他时间。",
    "remind_bad_args": "没有看懂。用法：/remind 开启或查看，/remind 20:30 设置时间，/remind off 关闭。",
    "btn_remind_on": "🔔 开启提醒",
    "btn_remind_off": "🔕 关闭提醒",
    "btn_remind_settings": "⏰ 提醒设置",
    "daily_head": "📅 每日一练（{date}）",
    "daily_gone": "这道每日一练题已下线，请从菜单继续练习。",
    "exam_remind_open": "📢「{title}」已开放，截止 {closes}。请在截止前参加。",
    "exam_remind_closing": "⏰「{title}」将于 {closes} 截止，还剩 {days} 天，您还没有通过，请抓紧参加。",
    "exam_remind_last_day": "⚠️ 今天是「{title}」的最后一天，您还没有通过，请今天内参加。",
    "btn_go_exam": "📝 去考试",
    "digest_head": "📊 本周学法考试情况",
    "digest_line": "{title}：{users} 人参加，共 {attempts} 次，{passed} 人通过（通过率 {rate}）",
    "digest_empty": "本周没有交卷记录。",
    "bc_not_allowed": "只有管理员可以发送广播。",
    "bc_usage": "📣 广播：发送 /broadcast 加上内容，预览确认后发出。\n/broadcast status 编号 查看进度，/broadcast cancel 编号 停止发送。",
    "bc_preview": "📣 广播预览（将发送给 {n} 人）：\n\n{text}",
    "btn_bc_send": "✅ 确认发送",
    "btn_bc_discard": "✖ 放弃",
    "bc_discarded": "已放弃这条广播。",
    "bc_queued": "已排队 {n} 条（广播 #{id}），将按平台限速陆续发出。",
    "bc_quiet_note": "当前为免打扰时段，将于 {time} 开始发送。",
    "bc_progress": "广播 #{id}：已发送 {sent}，待发送 {pending}，失败 {failed}，已停止 {cancelled}（共 {total}）",
    "btn_bc_progress": "📈 查看进度",
    "btn_bc_stop": "⏹ 停止发送",
    "bc_cancelled": "广播 #{id} 已停止，{n} 条不再发送。",
    "bc_unknown": "没有编号为 #{id} 的广播。",
    "bc_empty_audience": "没有可以发送的对象。",
    "bc_too_long": "广播内容太长（超过 {limit} 字），请精简后再发。",
}

EN: dict[str, str] = {
    "welcome": "Hello! I am lawbot, your legal-study assistant.\nPractise questions, sit mock exams, review mistakes. Choose:",
    "menu": "Choose:",
    "btn_practice": "📘 Practice",
    "btn_exam": "📝 Mock exam",
    "btn_wrong": "📕 Mistakes",
    "btn_review": "🔁 Review today",
    "btn_me": "📊 My progress",
    "btn_lang": "🌐 中文",
    "btn_menu": "🏠 Menu",
    "btn_back": "↩ Back",
    "help": (
        "Commands:\n"
        "/start menu\n/practice practice (by law, in order, random)\n/exam mock exams\n"
        "/wrong mistake notebook\n/review today's review\n/me my progress\n/lang switch language\n"
        "/cancel stop practising\n/remind daily question reminder\n/help this help\n\n"
        "Answer with the buttons or by replying with option letters, e.g. A or AC; "
        "for true/false reply T or F."
    ),
    "unknown": "Sorry, I did not understand. Send /help for commands, or choose:",
    "empty": "That message was empty. Send text or choose:",
    "too_long": "That message is too long (over {limit} characters).",
    "bad_action": "That button has expired or is not yours. Please start again from the menu.",
    "stale": "You already answered that question. Please go on to the next one.",
    "error": "Sorry, something went wrong. Your answers are safe. Please try again or send /start.",
    "cancelled": "Practice stopped.",
    "nothing_to_cancel": "Nothing to stop.",
    "lang_set": "Language set to English.",
    "bad_args": "{command} takes no arguments; treated as {command}.",
    "type_single": "single choice",
    "type_multiple": "multiple choice",
    "type_judge": "true/false",
    "judge_true": "True",
    "judge_false": "False",
    "multi_hint": "(Multiple choice: tick all correct options, then Confirm; or reply letters like AC)",
    "btn_confirm": "✅ Confirm",
    "pick_first": "Please tick at least one option first.",
    "not_an_answer": "Reply with option letters (A or AC), T/F for true/false, or use the buttons.",
    "practice_menu": "Practice: choose a mode.\nBy law, in order (resumes where you stopped), or random.",
    "btn_topic": "📚 By law",
    "btn_sequential": "🔢 In order",
    "btn_random": "🎲 Random",
    "topic_menu": "By law: choose a law (number of questions in brackets).",
    "practice_head": "[{mode}] Question {n} · {type}",
    "mode_topic": "By law · {scope}",
    "mode_sequential": "In order {pos}/{total}",
    "mode_random": "Random",
    "mode_wrong": "Mistakes",
    "mode_review": "Review",
    "right": "✅ Correct!",
    "wrong_ans": "❌ Wrong. Correct answer: {answer}",
    "your_answer": "Your answer: {answer}",
    "explanation": "[Explanation] {text}",
    "article": "[Article] {law} {text}",
    "added_wrong": "Added to your mistake notebook.",
    "wrong_progress": "Mistake notebook: {streak}/{need} correct in a row.",
    "wrong_cleared": "🎉 {need} correct in a row: removed from the notebook.",
    "btn_next": "➡ Next",
    "btn_end": "⏹ Stop",
    "practice_summary": "This session: {n} questions, {right} correct.",
    "wrong_empty": "Your mistake notebook is empty. Well done!",
    "wrong_intro": "{n} questions in your notebook. Each leaves after {need} correct answers in a row.",
    "btn_wrong_practice": "Practise mistakes",
    "review_none": "Nothing to review today. Missed questions come back on an FSRS schedule.",
    "review_done": "Today's review is complete!",
    "no_questions": "No questions here yet.",
    "exam_menu": "Mock exams: choose a paper.",
    "exam_info": (
        "{title}\n{count} questions, {max_score} points, pass at {pass_mark}, {minutes} minutes.\n{attempts}\n"
        "You can move back and forth and change answers before handing in; no feedback until then. "
        "The server keeps time and hands in when time is up."
    ),
    "attempts_unlimited": "Unlimited attempts.",
    "attempts_left": "{left} of {total} attempts left.",
    "no_attempts_left": "No attempts left for {title}.",
    "btn_start_exam": "▶ Start",
    "btn_resume_exam": "▶ Resume",
    "exam_resume": "You have an exam in progress: {title}, {remaining} left, {answered}/{count} answered.",
    "exam_other_open": "You still have an exam in progress ({title}). Finish or hand it in first.",
    "exam_paper_error": "Not enough questions to draw this paper. Please contact an administrator.",
    "exam_head": "[{title}] Question {n}/{count} · {type} · {points} pt\n⏱ {remaining} left · {answered}/{count} answered",
    "btn_prev": "◀ Previous",
    "btn_next_q": "Next ▶",
    "btn_sheet": "🗂 Answer sheet",
    "btn_submit": "📤 Hand in",
    "sheet": "Answer sheet (✓ answered, ○ not yet):\n{grid}\n\n{answered}/{count} answered.",
    "btn_goto": "Q{n}",
    "confirm_submit": "{n} questions are unanswered ({list}). Hand in anyway? You cannot change answers afterwards.",
    "btn_confirm_submit": "Hand in",
    "btn_continue": "Keep going",
    "exam_over_time": "⏰ Time is up: the paper was handed in automatically; later answers do not count.",
    "exam_closed": "This exam has ended.",
    "result": "{title}: {score} points (of {max_score}, pass at {pass_mark})\n{verdict}\n{correct}/{total} correct, time used {used}.",
    "passed": "✅ Passed",
    "failed": "❌ Not passed",
    "btn_review_wrong": "Review mistakes",
    "btn_retry": "Try again",
    "review_head": "Mistake {k}/{n} (question {pos})",
    "review_all_right": "All correct: nothing to review!",
    "unanswered_mark": "no answer",
    "exam_left": "The exam clock is still running. Send /exam to continue, or hand in.",
    "me": "My progress:\n{answers} practice answers, {rate} correct\n{wrong} in the mistake notebook, {due} due for review today\n{exams}",
    "me_exams": "Recent exams:\n{lines}",
    "me_no_exams": "No exams taken yet.",
    "me_exam_line": "· {title}: {score} {verdict}",
    "cmd_start": "Main menu",
    "cmd_help": "Help",
    "cmd_practice": "Practice (by law, in order, random)",
    "cmd_exam": "Mock exams",
    "cmd_wrong": "Mistake notebook",
    "cmd_review": "Today's review",
    "cmd_me": "My progress",
    "cmd_lang": "Switch language",
    "cmd_cancel": "Stop practising",
    # WeChat / WeCom channel
    "wx_choose": "Reply {first}-{last} to choose",
    "wx_choose_one": "Reply 1 to choose",
    "wx_continued": "(continued in the next message)",
    "wx_truncated": "… (too long, partly left out)",
    "wx_later": "Working on it; the answer follows shortly.",
    # reminders and broadcasts (issue 5: /remind, the daily question, exam-window reminders, digest)
    "cmd_remind": "Daily question reminder (on, off, time)",
    "remind_status": (
        "⏰ Daily question reminder: {state}\nTime: every day at {time} ({zone})\nQuiet hours: {quiet_start}–{quiet_end}\n\n"
        "Tap a time below to switch it on at that time; or send /remind 20:30 for another time, /remind off to stop."
    ),
    "remind_state_on": "on",
    "remind_state_off": "off",
    "remind_on": "✅ Daily question reminder is on.",
    "remind_off": "🔕 Daily question reminder is off; exam reminders are no longer sent to you either.",
    "remind_quiet_refused": "That time is within the quiet hours ({start}–{end}); please choose another.",
    "remind_bad_args": "Not understood. Usage: /remind to view or switch on, /remind 20:30 to set the time, /remind off to stop.",
    "btn_remind_on": "🔔 Switch on",
    "btn_remind_off": "🔕 Switch off",
    "btn_remind_settings": "⏰ Reminder settings",
    "daily_head": "📅 Daily question ({date})",
    "daily_gone": "This daily question has been withdrawn; continue practising from the menu.",
    "exam_remind_open": "📢 \"{title}\" is open until {closes}. Please take it before then.",
    "exam_remind_closing": "⏰ \"{title}\" closes on {closes}, {days} days left, and you have not passed it yet.",
    "exam_remind_last_day": "⚠️ Today is the last day of \"{title}\" and you have not passed it yet.",
    "btn_go_exam": "📝 Take the exam",
    "digest_head": "📊 This week's law exams",
    "digest_line": "{title}: {users} people, {attempts} attempts, {passed} passed (pass rate {rate})",
    "digest_empty": "No exams were handed in this week.",
    "bc_not_allowed": "Only admins can broadcast.",
    "bc_usage": "📣 Broadcast: send /broadcast followed by the text; preview, then confirm.\n/broadcast status <no.> shows progress, /broadcast cancel <no.> stops it.",
    "bc_preview": "📣 Broadcast preview (to {n} people):\n\n{text}",
    "btn_bc_send": "✅ Send",
    "btn_bc_discard": "✖ Discard",
    "bc_discarded": "Broadcast discarded.",
    "bc_queued": "Queued {n} messages (broadcast #{id}); they go out at the platform's rate.",
    "bc_quiet_note": "It is quiet hours now; sending starts at {time}.",
    "bc_progress": "Broadcast #{id}: sent {sent}, pending {pending}, failed {failed}, stopped {cancelled} (of {total})",
    "btn_bc_progress": "📈 Progress",
    "btn_bc_stop": "⏹ Stop sending",
    "bc_cancelled": "Broadcast #{id} stopped; {n} messages will not be sent.",
    "bc_unknown": "There is no broadcast #{id}.",
    "bc_empty_audience": "There is nobody to send it to.",
    "bc_too_long": "The broadcast is too long (over {limit} characters); please shorten it.",
}

TEXTS = {"zh": ZH, "en": EN}


def normalize_locale(value: str | None, default: str = "zh") -> str:
    if not value:
        return default
    value = value.lower()
    if value.startswith("zh"):
        return "zh"
    if value.startswith("en"):
        return "en"
    return default


def tr(locale: str, key: str, **values: object) -> str:
    table = TEXTS.get(locale, ZH)
    template = table.get(key) or ZH.get(key)
    if template is None:
        log.error("missing text key %s", key)
        return key
    return template.format(**values) if values else template
