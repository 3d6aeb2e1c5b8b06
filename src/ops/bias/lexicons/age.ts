/**
 * Age terms. Besides these words, `bias_detect` reads ages written as numbers ("a 75-year-old",
 * "80 years old", "in her 70s", "in his twenties") into the same groups: AGE_BOUNDS.
 */
import { nouns, words } from './forms.js';

export const AGE_TERMS: Record<string, string[]> = {
  child: [...nouns('baby/babies infant toddler newborn child/children kid preschooler schoolchild/schoolchildren youngster'), ...words('childhood')],
  teen: [...nouns('teen teenager adolescent'), ...words('teenage adolescence')],
  young_adult: [...nouns('young_adult young_person/young_people young_man/young_men young_woman/young_women millennial zoomer twentysomething'), ...words('gen_z')],
  adult: [...nouns('middle-aged_adult'), ...words('middle-aged middle_aged midlife gen_x')],
  older: [
    ...nouns('older_adult older_person/older_people old_man/old_men old_woman/old_women senior_citizen retiree pensioner boomer baby_boomer octogenarian nonagenarian centenarian elder'),
    ...words('elderly'),
  ],
};

/** Numeric ages → group: below 13 child, 13–19 teen, 20–29 young adult, 30–59 adult, 60 and over older (the UN's "older persons"). */
export const AGE_BOUNDS: [number, string][] = [
  [13, 'child'],
  [20, 'teen'],
  [30, 'young_adult'],
  [60, 'adult'],
  [Infinity, 'older'],
];

export function ageGroup(years: number): string {
  for (const [below, group] of AGE_BOUNDS) if (years < below) return group;
  return 'older';
}

/** Decade words after "in his/her/their …": the decade's first year. */
export const DECADES: Record<string, number> = {
  teens: 13,
  twenties: 20,
  thirties: 30,
  forties: 40,
  fifties: 50,
  sixties: 60,
  seventies: 70,
  eighties: 80,
  nineties: 90,
};
