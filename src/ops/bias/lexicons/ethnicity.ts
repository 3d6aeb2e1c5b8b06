/**
 * Ethnicity and nationality terms, grouped by broad region/identity. Curated for ftr in the style of
 * the identity-term lists of Dixon et al. 2018 and the HolisticBias descriptors (Smith et al. 2022);
 * see README.md here for the caveats (colour words, demonyms that are also language names).
 */
import { nouns, plural, words } from './forms.js';

/** Person nouns: a colour word or a language-like demonym counts only right before one of these. */
export const PERSON_NOUNS = [
  ...nouns(
    'person/people man/men woman/women boy girl child/children kid family/families community/communities folk ' +
      'american individual adult teen teenager youth/youths student voter resident worker patient artist writer author ' +
      'neighbor neighbour neighborhood neighbourhood population household immigrant citizen owner/ owned/ led/ professional leader',
  ),
];

/** `black people`, `chinese woman`, …: the adjective before every person noun. */
const withPerson = (adjectives: string): string[] => words(adjectives).flatMap((a) => PERSON_NOUNS.map((p) => `${a} ${p}`));

/** Demonyms that are also a language's name: the plural ("Germans") alone, the adjective before a person noun. */
const languageDemonyms = (adjectives: string): string[] => [...words(adjectives).map(plural), ...withPerson(adjectives)];

/** Region/identity group → terms. */
export const ETHNICITY_TERMS: Record<string, string[]> = {
  black: [...withPerson('black'), ...nouns('african_american afro-american afro-caribbean afro-latino')],
  white: [...withPerson('white'), ...nouns('caucasian white_american')],
  asian: [
    ...nouns('asian asian_american east_asian south_asian southeast_asian pakistani/ bangladeshi/ taiwanese/ nepalese/ sri_lankan cambodian singaporean hmong/ han_chinese/'),
    ...withPerson('chinese japanese korean vietnamese thai indian nepali burmese'),
    ...languageDemonyms('indonesian malaysian filipino mongolian laotian tibetan'),
    ...nouns('filipina'),
  ],
  hispanic_latino: [
    ...nouns('hispanic latino latina latinx/ latine/ chicano chicana mexican puerto_rican cuban colombian venezuelan peruvian argentinian argentine chilean salvadoran guatemalan honduran ecuadorian bolivian nicaraguan uruguayan paraguayan'),
    ...withPerson('spanish'),
  ],
  middle_eastern: [
    ...nouns('arab middle_eastern iranian iraqi syrian lebanese/ palestinian jordanian saudi yemeni/ kurd emirati israeli afghan'),
    ...withPerson('persian turkish'),
  ],
  african: [
    ...nouns('african nigerian kenyan ethiopian ghanaian sudanese/ congolese/ ugandan tanzanian rwandan senegalese/ egyptian moroccan algerian tunisian zimbabwean zambian cameroonian eritrean south_african'),
    ...languageDemonyms('somali'),
  ],
  indigenous: [
    ...nouns('native_american american_indian alaska_native aboriginal aborigine inuk/inuit métis/ first_nations/ torres_strait_islander'),
    ...withPerson('indigenous'),
    'indigenous peoples',
  ],
  pacific_islander: [...nouns('pacific_islander native_hawaiian samoan tongan fijian maori/ polynesian micronesian melanesian chamorro')],
  european: [
    ...nouns('european scandinavian irishman/irishmen irishwoman/irishwomen englishman/englishmen englishwoman/englishwomen frenchman/frenchmen frenchwoman/frenchwomen dutchman/dutchmen scotsman/scotsmen welshman/welshmen'),
    ...nouns('belgian austrian swede dane serb croat'),
    ...languageDemonyms('italian german russian ukrainian norwegian hungarian romanian bulgarian albanian slovak'),
    ...withPerson('english british irish scottish welsh french dutch polish portuguese swedish danish finnish swiss czech greek'),
  ],
};
