-- Since when the operator runs the station (运营起始日期): 基本情况 says "自2016年6月起由…承接运营".
ALTER TABLE stations ADD COLUMN operating_since DATE;
