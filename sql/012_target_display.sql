-- 012_target_display.sql - how each target is shown, decided once in the
-- database so that pingan-report renders what SQL says instead of keeping its
-- own copy of the rules: the wording of the rule, a plain sentence on what it
-- means, the unit of its figures, how the actual value reads, at which levels
-- the judgement is a share of units meeting the rule, and which targets get a
-- trend chart. Tables only; the report joins pingan.target itself.

ALTER TABLE pingan.target
    ADD COLUMN display      text    NOT NULL DEFAULT 'count'
                            CHECK (display IN ('count', 'percent', 'of_threshold')),
    ADD COLUMN unit_zh      text    NULL,
    ADD COLUMN unit_en      text    NULL,
    ADD COLUMN share_levels text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN share_unit   text    NULL CHECK (share_unit IN ('towns', 'districts')),
    ADD COLUMN rule_text_zh text    NOT NULL DEFAULT '',
    ADD COLUMN rule_text_en text    NOT NULL DEFAULT '',
    ADD COLUMN explain_zh   text    NOT NULL DEFAULT '',
    ADD COLUMN explain_en   text    NOT NULL DEFAULT '',
    ADD COLUMN trend        boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN pingan.target.display IS
    'how the actual value reads: count (a whole number with unit), percent (a ratio), of_threshold '
    '(actual/threshold unit, e.g. 173/1031 towns)';
COMMENT ON COLUMN pingan.target.share_levels IS
    'levels at which the judgement''s actual is the share of share_unit meeting the rule (T7 above the '
    'towns, R1 for the city); shown as met/total share_unit';
COMMENT ON COLUMN pingan.target.rule_text_zh IS 'the rule in a few words, e.g. 同比下降 ≥ 5%';
COMMENT ON COLUMN pingan.target.explain_en IS 'one plain sentence on how the target is judged';
COMMENT ON COLUMN pingan.target.trend IS 'the report draws a monthly trend chart of this indicator';

UPDATE pingan.target SET display = 'count', unit_zh = '人', unit_en = 'deaths', trend = true,
       rule_text_zh = '同比下降 ≥ 5%', rule_text_en = 'down ≥ 5% y/y',
       explain_zh = '全年死亡人数须比上年同期至少少5%；年内按已报月份推算全年。',
       explain_en = 'Met when deaths are at least 5% below the same months of last year; during the year the projection to year end is compared.'
 WHERE id = 'T1';
UPDATE pingan.target SET display = 'count', unit_zh = '起', unit_en = 'fires', trend = true,
       rule_text_zh = '同比下降 ≥ 10%', rule_text_en = 'down ≥ 10% y/y',
       explain_zh = '火灾起数须比上年同期至少少10%；年内按已报月份推算全年。',
       explain_en = 'Met when fires are at least 10% below the same months of last year; during the year the projection to year end is compared.'
 WHERE id = 'T2';
UPDATE pingan.target SET display = 'count', unit_zh = '人', unit_en = 'deaths', trend = false,
       rule_text_zh = '同比下降 ≥ 10%', rule_text_en = 'down ≥ 10% y/y',
       explain_zh = '火灾死亡人数须比上年同期至少少10%；年内按已报月份推算全年。',
       explain_en = 'Met when fire deaths are at least 10% below the same months of last year; during the year the projection to year end is compared.'
 WHERE id = 'T3';
UPDATE pingan.target SET display = 'count', unit_zh = '起', unit_en = 'accidents', trend = false,
       rule_text_zh = '零发生（底线）', rule_text_en = 'none (bottom line)',
       explain_zh = '底线目标：任何地方、任何时段发生一起即未达标。',
       explain_en = 'A bottom line: one major accident anywhere, at any time, misses it.'
 WHERE id = 'T4';
UPDATE pingan.target SET display = 'percent', trend = false,
       rule_text_zh = '整改率 100%', rule_text_en = '100% rectified',
       explain_zh = '已整改通报数除以通报总数，须达100%。',
       explain_en = 'Notices rectified divided by notices issued must reach 100%.'
 WHERE id = 'T5';
UPDATE pingan.target SET display = 'percent', trend = false,
       rule_text_zh = '不低于 90%', rule_text_en = '≥ 90%',
       explain_zh = '已评估事项除以重大决策事项，须不低于90%。',
       explain_en = 'Decisions assessed divided by major decisions must be at least 90%.'
 WHERE id = 'T6';
UPDATE pingan.target SET display = 'percent', share_levels = '{district,city}', share_unit = 'towns',
       trend = false,
       rule_text_zh = '每个镇街不低于 60%', rule_text_en = 'every town ≥ 60%',
       explain_zh = '每个镇街的核心业务数字化率须不低于60%；区县和全市显示达标镇街数。',
       explain_en = 'Every town must manage at least 60% of its core business digitally; districts and the city show how many towns do.'
 WHERE id = 'T7';
UPDATE pingan.target SET display = 'percent', trend = true,
       rule_text_zh = '不低于 95%', rule_text_en = '≥ 95%',
       explain_zh = '本级任务完成率须保持在95%以上。',
       explain_en = 'Tasks completed divided by tasks due must stay at 95% or more.'
 WHERE id = 'T8';
UPDATE pingan.target SET display = 'percent', trend = true,
       rule_text_zh = '不低于 95%', rule_text_en = '≥ 95%',
       explain_zh = '事件办结率须保持在95%以上。',
       explain_en = 'Events closed divided by events received must stay at 95% or more.'
 WHERE id = 'T9';
UPDATE pingan.target SET display = 'of_threshold', unit_zh = '个镇街', unit_en = 'towns', trend = false,
       rule_text_zh = '镇街全部上线', rule_text_en = 'all towns online',
       explain_zh = '全部1031个镇街须上线"一表通"组件，按最新报告的上线镇街数计。',
       explain_en = 'All 1031 towns must have the component online, counted at the latest reported position.'
 WHERE id = 'T10';
UPDATE pingan.target SET display = 'count', unit_zh = '个', unit_en = 'zones', share_levels = '{city}',
       share_unit = 'districts', trend = false,
       rule_text_zh = '每区县不超过 1 个', rule_text_en = '≤ 1 per district',
       explain_zh = '原则上每个区县只保留一个产业类开发区；全市显示达标区县数。',
       explain_en = 'In principle at most one industrial zone per district; the city shows how many districts comply.'
 WHERE id = 'R1';
