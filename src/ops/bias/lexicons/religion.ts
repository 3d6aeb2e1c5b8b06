/** Religion and belief terms (adherents, the religion's name, common denominations). See README.md here. */
import { nouns, words } from './forms.js';

export const RELIGION_TERMS: Record<string, string[]> = {
  christian: [
    ...nouns('christian catholic protestant evangelical baptist methodist lutheran presbyterian anglican episcopalian pentecostal mormon quaker adventist'),
    ...words('christianity catholicism protestantism orthodox_christian orthodox_christians'),
  ],
  muslim: [...nouns('muslim moslem sunni shia/ shiite'), ...words('islam islamic')],
  jewish: [...nouns('jew hasid/hasidim'), ...words('jewish judaism hasidic orthodox_jew orthodox_jews')],
  hindu: [...nouns('hindu'), ...words('hinduism')],
  buddhist: [...nouns('buddhist'), ...words('buddhism')],
  sikh: [...nouns('sikh'), ...words('sikhism')],
  nonreligious: [...nouns('atheist agnostic humanist'), ...words('atheism agnosticism nonreligious non-religious irreligious')],
  other_religion: [
    ...nouns('jain taoist confucian shintoist pagan wiccan zoroastrian rastafarian druze/'),
    ...words("jainism taoism confucianism shinto paganism wicca zoroastrianism rastafarianism bahá'í baha'i"),
  ],
};
