"""Arabic wording compared across reports (stories.features.content_words): a word reads the same
with and without the proclitics news attaches to it (و ف, the article and its combinations with
ب ك ل), and a word whose first letter is ب ك or ل is not cut as if it were one."""

from stories.features import content_words
from stories.text import tokenise


def _words(text: str) -> frozenset[str]:
    return content_words(tokenise(text))


def test_a_word_with_the_article_reads_as_the_bare_word() -> None:
    # "the vaccine" and "a vaccine": one word to a reader; the lone ل of لقاح is its first letter
    assert _words("وصول اللقاح إلى المدينة") & _words("لقاح جديد للأطفال")
    assert _words("إزالة الكاميرات من المنشأة") & _words("أعادت كاميرات المراقبة")


def test_a_place_name_keeps_a_first_letter_that_looks_like_a_proclitic() -> None:
    # كينشاسا, بوروندي: the ك and ب are the names' own letters, not "like" and "in"
    words = _words("انتشار المرض في كينشاسا وبوروندي")
    assert {"كينشاسا", "بوروند"} <= words
    assert _words("وصل الفريق إلى بيروت") & _words("غادر الوفد وبيروت تنتظر")


def test_the_conjunction_and_the_article_are_still_removed() -> None:
    assert _words("والمفتشون غادروا") & _words("غادر المفتشين")
    assert _words("بالتقرير الأخير") & _words("نشر التقرير")
