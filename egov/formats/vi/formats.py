# Django's Vietnamese formats leave NUMBER_GROUPING at 0, so `intcomma` printed 1234567 and fees
# as "50000 đồng". Vietnamese writes 1.234.567 and 50.000 đồng; the separators (",", ".") come
# from Django's own vi formats.
NUMBER_GROUPING = 3
