"""The USITC Harmonized Tariff Schedule: revisions, their calendar, codes and rate texts."""
