"""One personal-data detector for the event contract's boundary.

Contract: no personal data (names, phone numbers, e-mail addresses, free-text addresses) ever
enters the event stream. ``find_personal_data`` is applied at ingestion to every free string
field of an event (record keys, ids, slugs, ``location.place``) and reports the first kind of
personal data it finds, checked in the order of ``PersonalData``:

- e-mail: the standard ``local@domain.tld`` shape only (not obfuscated "jane at example dot com");
- phone: a UK number, national (``0`` + 9 or 10 digits: 01/02/03/05/07/08/09; 9 only for 01 and
  0800) or international (``+44`` / ``0044``, optional ``(0)``), with spaces, brackets, hyphens
  or dots between digits;
- ni-number: a National Insurance number (allocatable prefix or the specimen ``QQ``, 6 digits,
  suffix A-D, optional single spaces);
- postcode: a full UK postcode (outward and inward code, any case, optional space);
- house-number: ``Flat``/``Apartment``/``Unit``… followed by a number, or a house number (1-4
  digits, optional letter or range) followed by a capitalised word that is not a month, or by
  lower-case words ending in a street type ("12 grange road");
- name (only when ``controlled=True``: the field should hold a controlled street or place name):
  a capitalised title (Mr, Mrs, Ms, Mx, Miss, Dr, Prof, Sir, Lady, Lord, Rev…) or common UK given
  name followed by a capitalised word, unless the capitalised words after it reach a street or
  place type word within five words: a street named after a person ("Jane Austen Close",
  "Dr Johnson Avenue", "Lord Street"). So "John Smith", "Mrs Brown" and "Mr Patel" are names;
  "John Street", "Victoria Park" and "St John's Road" are not. A given name after St/Saint is a
  saint ("Bidston and St James"); a "Dr" after a capitalised word is Drive ("Grange Dr"). A place
  named after a person without a type word (London's "William Morris" ward) reads as a name.

Boundaries: a number, NI number or postcode must not be part of a longer alphanumeric run, so
hex hashes and pseudonyms never match by accident, while a key segment such as
``council:wirral:asb:07700900123`` is found. Digits are ASCII digits. Cheap pre-checks guard the
heavier regexes (an ``@``; a digit in an alphanumeric run of at most 15 characters; at least 6 or
10 digits; a title or given name): this runs on every string field of every event.
"""

from __future__ import annotations

import re
from enum import StrEnum


class PersonalData(StrEnum):
    """A kind of personal data that must never enter the event stream."""

    EMAIL = "e-mail"
    PHONE = "phone"
    NI_NUMBER = "ni-number"
    POSTCODE = "postcode"
    HOUSE_NUMBER = "house-number"
    NAME = "name"


_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
_DIGIT = re.compile(r"[0-9]")
_SHORT_RUN_WITH_DIGIT = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]{0,14}[0-9])(?![A-Za-z0-9]{16})")
"""An alphanumeric run of at most 15 characters holding a digit: every digit-bearing kind has
one (the longest, "00447700900123", 14), hex hashes and pseudonyms (16, 32, 64) have none."""
_NON_DIGIT = re.compile(r"[^0-9]")
_PHONE = re.compile(
    r"(?<![A-Za-z0-9+])(?<![0-9]\.)"
    r"(?:(?:\+|00)[ ]?44[ ]?(?:\(0\)[ ]?|0)?|\(?0)"
    r"(?P<nsn>(?:[0-9][ ()\-.]{0,2}){8,9}[0-9])"
    r"(?![A-Za-z0-9]|\.[0-9])"
)
_NI_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)(?:[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]|QQ)"
    r"[ ]?[0-9]{2}[ ]?[0-9]{2}[ ]?[0-9]{2}[ ]?[A-D](?![A-Za-z0-9])",
    re.IGNORECASE,
)
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]?|GIR)\s?[0-9][ABD-HJLNP-UW-Z]{2}"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_STREET_TYPES = (
    "road|rd|street|st|lane|ln|avenue|ave|close|drive|way|place|court|crescent|grove|gardens"
    "|park|square|terrace|walk|hill|rise|view|mews|row|vale|green|parade|mount|croft|hey|brow"
)
_MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august"
    "|sep|sept|september|oct|october|nov|november|dec|december"
)
_HOUSE_NUMBER = re.compile(
    r"\b(?i:flat|apartment|apt|maisonette|unit|room)\.?\s*(?i:no\.?\s*)?[0-9]{1,4}[A-Za-z]?\b"
    r"|(?<![A-Za-z0-9.,:/+-])[1-9][0-9]{0,3}[A-Za-z]?(?:[-/][0-9]{1,4}[A-Za-z]?)?,?\s+"
    rf"(?:(?!(?i:{_MONTHS})\b)[A-Z][A-Za-z]"
    rf"|(?i:[a-z'’-]+(?:\s+[a-z'’-]+){{0,3}}\s+(?:{_STREET_TYPES})\b))"
)
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_GAP = re.compile(r"\.?\s*[-/]?\s*")
"""Between two words of one name or street: "Mr. Smith", "Mary-Jane", "Sports/recreation"."""


def _words(text: str) -> frozenset[str]:
    return frozenset(word.capitalize() for word in text.split())


_TITLES = _words("Mr Mrs Ms Mx Miss Dr Prof Mister Sir Dame Lady Lord Rev Revd Reverend")
_SAINTS = _words("St Saint")
_GIVEN_NAMES = _words(
    "Aaron Adam Adrian Ahmed Aidan Alan Albert Alex Alexander Alfie Alfred Ali Alistair Andrew "
    "Andy Angus Anthony Archie Arthur Ashley Barry Ben Benjamin Bernard Bill Billy Bob Bobby "
    "Brandon Brian Bruce Callum Carl Charles Charlie Chris Christian Christopher Clive Colin "
    "Connor Craig Daniel Danny Darren Dave David Dean Dennis Derek Dominic Donald Douglas Dylan "
    "Eddie Edward Elliot Elliott Eric Ethan Evan Frank Frankie Fraser Freddie Frederick Gareth "
    "Gary Gavin Geoffrey George Gerald Gordon Graham Grant Gregory Harrison Harry Harvey Hassan "
    "Henry Howard Hugh Hugo Ian Ibrahim Imran Isaac Ivan Jack Jacob Jake James Jamie Jason Jay "
    "Jeffrey Jeremy Jim Jimmy Joe Joel Joey John Johnny Jon Jonathan Jordan Joseph Josh Joshua "
    "Jude Justin Karl Keith Kenneth Kevin Kieran Kyle Lee Leo Leon Leonard Lewis Liam Logan "
    "Louis Luke Malcolm Mark Martin Mason Matthew Max Michael Mike Mohamed Mohammad Mohammed "
    "Muhammad Nathan Neil Nicholas Nick Nigel Noah Oliver Ollie Omar Oscar Owen Patrick Paul "
    "Peter Philip Phillip Ralph Raymond Reece Rhys Richard Robert Robin Ronald Ronnie Rory Ross "
    "Roy Russell Ryan Sam Samuel Sanjay Scott Sean Sebastian Shane Shaun Simon Stanley Stephen "
    "Steve Steven Stuart Tariq Terence Terry Theo Theodore Thomas Tim Timothy Toby Tom Tommy "
    "Tony Trevor Tyler Usman Victor Vincent Wayne William Yusuf Zach Zachary Zain "
    "Abigail Ada Aisha Alice Alison Amanda Amber Amelia Amy Andrea Angela Ann Anna Anne Annie "
    "Ava Ayesha Barbara Beatrice Bella Beth Bethany Betty Brenda Caitlin Carol Caroline "
    "Catherine Charlotte Chelsea Chloe Christine Claire Clare Danielle Dawn Deborah Debbie "
    "Denise Diane Donna Dorothy Eileen Eleanor Elizabeth Ella Ellie Emily Emma Erin Eva Evelyn "
    "Evie Fatima Freya Gemma Georgia Gillian Grace Hannah Harriet Hayley Heather Helen Holly "
    "Isabel Isabella Isla Ivy Jacqueline Jade Jane Janet Jasmine Jean Jennifer Jenny Jessica "
    "Joan Joanne Josephine Joyce Julia Julie Karen Kate Katherine Katie Kayleigh Kelly Kerry "
    "Kirsty Laura Lauren Leah Leila Lesley Lily Linda Lisa Lola Louise Lucy Lydia Lynn Maisie "
    "Margaret Maria Marie Martha Mary Maryam Matilda Maureen Megan Melanie Mia Michelle Millie "
    "Molly Nadia Nancy Naomi Natalie Nicola Nicole Olivia Paige Pamela Patricia Paula Pauline "
    "Phoebe Poppy Priya Rachel Rebecca Rosie Ruby Ruth Samantha Sandra Sarah Scarlett Sharon "
    "Shirley Sienna Sophia Sophie Stacey Stephanie Susan Suzanne Tracey Tracy Valerie Vanessa "
    "Victoria Wendy Yvonne Zara Zoe"
)
_NAME_STARTS = _TITLES | _GIVEN_NAMES
_PLACE_WORDS = _words(
    _STREET_TYPES.replace("|", " ")
    + " Street Avenue Boulevard Approach Broadway Bypass Chase Circle Circus Common Causeway"
    " Embankment Gate Wharf Quay Dock Docks Yard Bridge Promenade Meadow Meadows Field Fields"
    " Wood Woods Bank Banks Nook Fold Dell Dene Glade Glen Hollow Mead Orchard Paddock Ridge"
    " Spinney Heights Point Cross End Side Corner Path Passage Alley Loop Link Gardens Villas"
    " Cottages Buildings Mansions Grange Farm Manor Lodge Hall House Court Estate Precinct"
    " Arcade Market Centre Center Church Chapel Cathedral Abbey Priory Mosque Temple School"
    " Academy College University Nursery Station Hospital Infirmary Clinic Surgery Library"
    " Cemetery Crematorium Museum Gallery Theatre Cinema Stadium Arena Ground Pool Baths"
    " Club Inn Hotel Arms Tavern Pier Beach Shore Sands Marina Harbour Basin Canal River"
    " Brook Lake Reservoir Heath Moor Marsh Forest Wells Spring Springs Plaza Airport"
    " Interchange Roundabout Junction Crossing Tunnel Subway Area Building Supermarket Nightclub"
    " Prison Space Retail Industrial Business Shopping Village Town Island Tower Castle Mill"
    " Brae Rake Clough Garth Wynd Leigh"
)


def _controlled_name(text: str) -> bool:
    """Whether a person's name appears in a field meant for a controlled street/place name."""
    if _NAME_STARTS.isdisjoint(map(str.capitalize, _WORD.findall(text))):
        return False
    tokens = list(_WORD.finditer(text))
    for i, token in enumerate(tokens[:-1]):
        word, after = token.group(), tokens[i + 1]
        name = word.capitalize()
        if not word[0].isupper() or name not in _NAME_STARTS or not after.group()[0].isupper():
            continue
        if not _GAP.fullmatch(text, token.end(), after.start()):
            continue
        before = tokens[i - 1].group() if i else ""
        if name == "Dr" and before[:1].isupper():
            continue  # "Grange Dr": Drive
        if before.capitalize() in _SAINTS and name in _GIVEN_NAMES:
            continue  # a saint: "St John's Road", "Bidston and St James"
        if not _place_follows(text, tokens, i):
            return True
    return False


def _place_follows(text: str, tokens: list[re.Match[str]], i: int) -> bool:
    """Whether the capitalised words after ``tokens[i]`` reach a street or place type word
    within five words ("Jane Austen Close", "Ben Nevis Road"; not "John Smith")."""
    for previous, following in zip(tokens[i : i + 5], tokens[i + 1 : i + 6], strict=False):
        word = following.group()
        gap = _GAP.fullmatch(text, previous.end(), following.start())
        if not word[0].isupper() or gap is None:
            return False
        if word.capitalize() in _PLACE_WORDS:
            return True
    return False


def find_personal_data(text: str, *, controlled: bool = False) -> PersonalData | None:
    """The first kind of personal data found in ``text`` (None: none found). ``controlled``: the
    field should hold a controlled name (a street or place), so person-name patterns are also
    refused."""
    if "@" in text and _EMAIL.search(text):
        return PersonalData.EMAIL
    if _DIGIT.search(text) and _SHORT_RUN_WITH_DIGIT.search(text):
        digits = len(_DIGIT.findall(text))
        if digits >= 10 and _phone(text):
            return PersonalData.PHONE
        if digits >= 6 and _NI_NUMBER.search(text):
            return PersonalData.NI_NUMBER
        if _POSTCODE.search(text):
            return PersonalData.POSTCODE
        if _HOUSE_NUMBER.search(text):
            return PersonalData.HOUSE_NUMBER
    if controlled and _controlled_name(text):
        return PersonalData.NAME
    return None


def _phone(text: str) -> bool:
    """Whether a phone-shaped run of digits is a valid UK national significant number."""
    for match in _PHONE.finditer(text):
        nsn = _NON_DIGIT.sub("", match.group("nsn"))
        if nsn[0] in "1235789" and (len(nsn) == 10 or nsn[0] == "1" or nsn.startswith("800")):
            return True
    return False
