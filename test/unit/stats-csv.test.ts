import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defused, toCsv, undefused } from '../../src/shared/stats-csv.js'

describe('report output as CSV', () => {
  it('writes CSV that spreadsheets read as text, quoting what needs it', () => {
    expect(
      toCsv([
        { value: '/a,b', count: 1 },
        { value: '=HYPERLINK("x")', count: 2 },
        { value: 'say "hi"', count: 3 },
      ]),
    ).toBe('value,count\n"/a,b",1\n"\'=HYPERLINK(""x"")",2\n"say ""hi""",3\n')
  })

  it.each([
    ['=HYPERLINK("https://evil.test","click")', '\'=HYPERLINK("https://evil.test","click")'],
    ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
    ['+1', "'+1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTAB', "'\tTAB"],
    ['\rCR', "'\rCR"],
    // Behind apostrophes a formula is still one: one more, so that the import can undo exactly one.
    ["'=1", "''=1"],
    ["''-1", "'''-1"],
    ["'plain", "'plain"],
    ['a=b', 'a=b'],
    ['', ''],
  ])('defuses %j as %j, and undoes it exactly', (cell, written) => {
    expect(defused(cell)).toBe(written)
    expect(undefused(written)).toBe(cell)
  })

  it('undoes the defusing of any cell exactly (property)', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', 'a', ' ') }), (cell) => undefused(defused(cell)) === cell))
  })
})
