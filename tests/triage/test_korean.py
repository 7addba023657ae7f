"""runner/triage/korean.py: Hangul compounds split into the words a text itself uses."""

from __future__ import annotations

from runner.triage.korean import ZWSP, Splitter, strip_ending, vocabulary


def test_splits_only_words_the_site_uses_as_words() -> None:
    words = vocabulary(["빌드 캐시를 지웠다", "이미지 삭제", "리소스와 소스 코드", "빌드캐시가 남았다", "재빌드해도"])
    splitter = Splitter(words)
    assert splitter.split_text("빌드캐시를") == (f"빌드{ZWSP}캐시를", ["빌드캐시를"])
    assert splitter.split_text("이미지삭제하면") == (f"이미지{ZWSP}삭제하면", ["이미지삭제하면"])
    assert splitter.split_text("재빌드해도")[0] == f"재{ZWSP}빌드해도"
    # 리소스 holds the word 소스, but 리 is no word: a false split would make `소스` find 리소스
    assert splitter.split_text("리소스") == ("리소스", [])
    assert splitter.split_text("캐시가 docker") == ("캐시가 docker", [])


def test_an_ending_goes_only_when_two_syllables_stay() -> None:
    assert strip_ending("캐시를") == ("캐시", "를")
    assert strip_ending("빌드에서는") == ("빌드", "에서는")
    assert strip_ending("이를") == ("이를", "")  # one syllable would be left: no ending
    assert strip_ending("docker") == ("docker", "")


def test_the_vocabulary_is_the_hangul_words_without_their_endings_or_markup() -> None:
    words = vocabulary(["<p>빌드 캐시를</p> docker 재 이미지가", "<span title=\"설치\">소스</span>"])
    assert words == frozenset({"빌드", "캐시", "이미지", "소스"})
