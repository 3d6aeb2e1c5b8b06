/** The built-in lexicons, by dimension → group → terms (see README.md in this folder). */
import { AGE_TERMS } from './age.js';
import { ETHNICITY_TERMS } from './ethnicity.js';
import { GENDER_TERMS } from './gender.js';
import { RELIGION_TERMS } from './religion.js';

export type Lexicon = Record<string, Record<string, string[]>>;

export const BUILTIN_LEXICON: Lexicon = {
  gender: GENDER_TERMS,
  ethnicity: ETHNICITY_TERMS,
  religion: RELIGION_TERMS,
  age: AGE_TERMS,
};

export const BUILTIN_DIMS = Object.keys(BUILTIN_LEXICON);

export { AGE_BOUNDS, ageGroup, DECADES } from './age.js';
export { GENDER_ONE_WAY, GENDER_ONE_WAY_MALE, GENDER_PAIRS, GENDER_TERMS } from './gender.js';
export { nameLists, pairedName, type NameGender } from './names.js';
