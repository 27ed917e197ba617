-- An organization's full name (全称) besides its short name (简称, `name`): reports and the
-- onboarding workbook use the full one (广州市荔湾区民政局), lists the short one (荔湾区民政局).
-- Existing organizations start with their short name as the full one.
ALTER TABLE organizations ADD COLUMN full_name TEXT NOT NULL DEFAULT '';
UPDATE organizations SET full_name = name;
