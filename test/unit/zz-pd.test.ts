import { it } from 'vitest'
import { personalData } from '../../src/shared/personal-data.js'
it('x', () => { for (const v of ['Signup', 'Outbound Link', 'Download: report.pdf', 'Hacker News', 'newsletter']) console.log(v, personalData(v)) })
