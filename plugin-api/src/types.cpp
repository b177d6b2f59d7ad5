// placeholder, filled by the JSON conversions
