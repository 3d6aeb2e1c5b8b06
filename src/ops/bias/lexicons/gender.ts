/**
 * Gender terms: pronouns, person nouns, kinship, titles. Curated for ftr (see README.md here):
 * informed by the WinoBias lists (Zhao et al. 2018) without copying their defects. A term written
 * with a capital (`Ms`, `Miss`) matches only capitalized text.
 */
import { nounPairs, nouns, words } from './forms.js';

/** Detection: group → terms. Unmarked role nouns (actor, waiter, host, hero, guy) are left out: they are often used for anyone. */
export const GENDER_TERMS: Record<string, string[]> = {
  female: [
    ...words('she her hers herself Ms Mrs Miss madam ma\'am'),
    ...nouns(
      'woman/women girl lady/ladies gal female mother mom mum mommy mama daughter sister aunt auntie niece grandmother grandma granddaughter ' +
        'wife/wives bride girlfriend fiancée widow queen princess duchess empress countess baroness actress waitress stewardess hostess heroine goddess nun ' +
        'housewife/housewives spokeswoman/spokeswomen chairwoman/chairwomen businesswoman/businesswomen congresswoman/congresswomen sportswoman/sportswomen ' +
        'policewoman/policewomen saleswoman/saleswomen firewoman/firewomen stepmother stepdaughter stepsister godmother matriarch maiden lass schoolgirl ' +
        'granny heiress landlady girlhood/ womanhood/ sisterhood motherhood/ femininity/',
    ),
  ],
  male: [
    ...words('he him his himself Mr sir'),
    ...nouns(
      'man/men boy gentleman/gentlemen male father dad daddy papa son brother uncle nephew grandfather grandpa grandson ' +
        'husband groom bridegroom boyfriend fiancé widower king prince duke emperor earl baron monk ' +
        'spokesman/spokesmen chairman/chairmen businessman/businessmen congressman/congressmen sportsman/sportsmen ' +
        'policeman/policemen salesman/salesmen fireman/firemen stepfather stepson stepbrother godfather patriarch lad schoolboy ' +
        'fella bloke boyhood/ manhood/ brotherhood fatherhood/ masculinity/',
    ),
  ],
  nonbinary: [
    ...words('nonbinary non-binary enby enbies genderqueer genderfluid gender-fluid agender bigender two-spirit two-spirited Mx'),
    ...words('xe xem xyr xyrs xemself ze zir zirs zirself hir hirs hirself'),
  ],
};

/**
 * Swaps for counterfactual augmentation, male ↔ female, both ways. `her` and `his` are handled by
 * rule (object vs possessive), so they are not here; `Ms` ↔ `Mr` is.
 */
export const GENDER_PAIRS: [string, string][] = [
  ['he', 'she'],
  ['himself', 'herself'],
  ['mr', 'ms'],
  ['sir', 'madam'],
  ...nounPairs('man/men', 'woman/women'),
  ...nounPairs('boy', 'girl'),
  ...nounPairs('gentleman/gentlemen', 'lady/ladies'),
  ...nounPairs('male', 'female'),
  ...nounPairs('father', 'mother'),
  ...nounPairs('dad', 'mom'),
  ...nounPairs('daddy', 'mommy'),
  ...nounPairs('papa', 'mama'),
  ...nounPairs('son', 'daughter'),
  ...nounPairs('brother', 'sister'),
  ...nounPairs('uncle', 'aunt'),
  ...nounPairs('nephew', 'niece'),
  ...nounPairs('grandfather', 'grandmother'),
  ...nounPairs('grandpa', 'grandma'),
  ...nounPairs('grandson', 'granddaughter'),
  ...nounPairs('husband', 'wife/wives'),
  ...nounPairs('groom', 'bride'),
  ...nounPairs('boyfriend', 'girlfriend'),
  ...nounPairs('fiancé', 'fiancée'),
  ...nounPairs('widower', 'widow'),
  ...nounPairs('king', 'queen'),
  ...nounPairs('prince', 'princess'),
  ...nounPairs('duke', 'duchess'),
  ...nounPairs('emperor', 'empress'),
  ...nounPairs('baron', 'baroness'),
  ...nounPairs('monk', 'nun'),
  ...nounPairs('spokesman/spokesmen', 'spokeswoman/spokeswomen'),
  ...nounPairs('chairman/chairmen', 'chairwoman/chairwomen'),
  ...nounPairs('businessman/businessmen', 'businesswoman/businesswomen'),
  ...nounPairs('congressman/congressmen', 'congresswoman/congresswomen'),
  ...nounPairs('sportsman/sportsmen', 'sportswoman/sportswomen'),
  ...nounPairs('policeman/policemen', 'policewoman/policewomen'),
  ...nounPairs('salesman/salesmen', 'saleswoman/saleswomen'),
  ...nounPairs('fireman/firemen', 'firewoman/firewomen'),
  ...nounPairs('stepfather', 'stepmother'),
  ...nounPairs('stepson', 'stepdaughter'),
  ...nounPairs('stepbrother', 'stepsister'),
  ...nounPairs('godfather', 'godmother'),
  ...nounPairs('patriarch', 'matriarch'),
  ...nounPairs('lad', 'lass'),
  ...nounPairs('schoolboy', 'schoolgirl'),
  ...nounPairs('brotherhood', 'sisterhood'),
  ['boyhood', 'girlhood'],
  ['manhood', 'womanhood'],
  ['fatherhood', 'motherhood'],
  ['masculine', 'feminine'],
  ['masculinity', 'femininity'],
];

/** One-way swaps, female → male, for words whose male form maps elsewhere or is unmarked. */
export const GENDER_ONE_WAY: [string, string][] = [
  ['mrs', 'mr'],
  ['miss', 'mr'],
  ["ma'am", 'sir'],
  ...nounPairs('mum', 'dad'),
  ...nounPairs('auntie', 'uncle'),
  ...nounPairs('granny', 'grandpa'),
  ...nounPairs('gal', 'guy'),
  ...nounPairs('actress', 'actor'),
  ...nounPairs('waitress', 'waiter'),
  ...nounPairs('stewardess', 'steward'),
  ...nounPairs('hostess', 'host'),
  ...nounPairs('heroine', 'hero/heroes'),
  ...nounPairs('heiress', 'heir'),
  ...nounPairs('housewife/housewives', 'househusband'),
  ...nounPairs('landlady', 'landlord'),
  ...nounPairs('countess', 'earl'),
  ...nounPairs('goddess', 'god'),
];

/** One-way swaps, male → female. */
export const GENDER_ONE_WAY_MALE: [string, string][] = [...nounPairs('bridegroom', 'bride'), ...nounPairs('earl', 'countess'), ...nounPairs('fella', 'gal'), ...nounPairs('bloke', 'gal')];
