-- 002_reference.sql - reference rows: the 38 districts and counties of
-- Chongqing (from shared/districts.csv) and the 1031 towns. It owns rows only;
-- the tables are created in 001_schema.sql.

INSERT INTO pingan.district (code, name_zh, name_en, kind) VALUES
    ('500101', '万州区', 'Wanzhou', 'district'),
    ('500102', '涪陵区', 'Fuling', 'district'),
    ('500103', '渝中区', 'Yuzhong', 'district'),
    ('500104', '大渡口区', 'Dadukou', 'district'),
    ('500105', '江北区', 'Jiangbei', 'district'),
    ('500106', '沙坪坝区', 'Shapingba', 'district'),
    ('500107', '九龙坡区', 'Jiulongpo', 'district'),
    ('500108', '南岸区', 'Nan''an', 'district'),
    ('500109', '北碚区', 'Beibei', 'district'),
    ('500110', '綦江区', 'Qijiang', 'district'),
    ('500111', '大足区', 'Dazu', 'district'),
    ('500112', '渝北区', 'Yubei', 'district'),
    ('500113', '巴南区', 'Banan', 'district'),
    ('500114', '黔江区', 'Qianjiang', 'district'),
    ('500115', '长寿区', 'Changshou', 'district'),
    ('500116', '江津区', 'Jiangjin', 'district'),
    ('500117', '合川区', 'Hechuan', 'district'),
    ('500118', '永川区', 'Yongchuan', 'district'),
    ('500119', '南川区', 'Nanchuan', 'district'),
    ('500120', '璧山区', 'Bishan', 'district'),
    ('500151', '铜梁区', 'Tongliang', 'district'),
    ('500152', '潼南区', 'Tongnan', 'district'),
    ('500153', '荣昌区', 'Rongchang', 'district'),
    ('500154', '开州区', 'Kaizhou', 'district'),
    ('500155', '梁平区', 'Liangping', 'district'),
    ('500156', '武隆区', 'Wulong', 'district'),
    ('500229', '城口县', 'Chengkou', 'county'),
    ('500230', '丰都县', 'Fengdu', 'county'),
    ('500231', '垫江县', 'Dianjiang', 'county'),
    ('500233', '忠县', 'Zhongxian', 'county'),
    ('500235', '云阳县', 'Yunyang', 'county'),
    ('500236', '奉节县', 'Fengjie', 'county'),
    ('500237', '巫山县', 'Wushan', 'county'),
    ('500238', '巫溪县', 'Wuxi', 'county'),
    ('500240', '石柱土家族自治县', 'Shizhu', 'county'),
    ('500241', '秀山土家族苗族自治县', 'Xiushan', 'county'),
    ('500242', '酉阳土家族苗族自治县', 'Youyang', 'county'),
    ('500243', '彭水苗族土家族自治县', 'Pengshui', 'county');

-- Towns (镇街). The source gives only the total (1031 towns across the 38
-- districts), no per-district lists, so these rows are SYNTHETIC: districts in
-- code order, the first 5 get 28 towns and the other 33 get 27
-- (5 * 28 + 33 * 27 = 1031). Code = district code || 3-digit sequence. Replace
-- them with official lists (synthetic = false) in a later migration.
INSERT INTO pingan.town (code, district_code, name_zh, name_en, synthetic)
SELECT d.code || lpad(s.seq::text, 3, '0'),
       d.code,
       d.name_zh || s.seq || '号镇街（合成）',
       d.name_en || ' town ' || s.seq || ' (synthetic)',
       true
FROM (SELECT code, name_zh, name_en, row_number() OVER (ORDER BY code) AS rn
      FROM pingan.district) AS d
CROSS JOIN LATERAL generate_series(1, CASE WHEN d.rn <= 5 THEN 28 ELSE 27 END) AS s(seq)
ORDER BY d.code, s.seq;

-- Fail the migration rather than leave a wrong reference set behind.
DO $$
BEGIN
    IF (SELECT count(*) FROM pingan.district) <> 38 THEN
        RAISE EXCEPTION 'expected 38 districts, found %', (SELECT count(*) FROM pingan.district);
    END IF;
    IF (SELECT count(*) FROM pingan.town) <> 1031 THEN
        RAISE EXCEPTION 'expected 1031 towns, found %', (SELECT count(*) FROM pingan.town);
    END IF;
END
$$;
