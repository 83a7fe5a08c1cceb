import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { grantableRoles } from '../../identity/index.ts';
import { DEMO_AGENCIES, serviceDefinitionFiles } from '../../../demo/seed-demo.ts';
import { validateDefinitionSource, type DefinitionProblem, type MeaningContext } from './validate-definition.ts';
import { runDaftari, type CliRun } from '../../../../test/support/cli.ts';

const DEFINITIONS = serviceDefinitionFiles();
const context: MeaningContext = { roles: new Set(grantableRoles().map((r) => r.name)), agencies: new Set(DEMO_AGENCIES.map((a) => a.code)) };

/** An example by file name, wherever it lives (services/ or a use-case folder). */
const example = (file: string) => fs.readFileSync(DEFINITIONS.find((p) => path.basename(p) === file)!, 'utf8');

/** An example with text replaced, each piece found exactly once, as someone editing the file would break it. */
function broken(file: string, ...edits: [from: string, to: string][]): string {
  let source = example(file);
  for (const [from, to] of edits) {
    assert.equal(source.split(from).length, 2, `"${from}" should occur once in ${file}`);
    source = source.replace(from, to);
  }
  return source;
}

/** 1-based line and column of `marker` inside the one occurrence of `context` in the source. */
function positionOf(source: string, context: string, marker = context): { line: number; column: number } {
  const start = source.indexOf(context);
  assert.ok(start >= 0 && source.indexOf(context, start + 1) < 0, `"${context}" should occur once`);
  const offset = start + context.indexOf(marker);
  const before = source.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

interface Expected {
  pointer: string;
  message: RegExp;
  at: { line: number; column: number };
}

function assertProblems(source: string, expected: Expected[]): DefinitionProblem[] {
  const result = validateDefinitionSource(source, context);
  assert.equal(result.valid, false, 'the broken copy should be refused');
  assert.deepEqual(result.problems.map((p) => p.pointer), expected.map((e) => e.pointer), JSON.stringify(result.problems, null, 1));
  result.problems.forEach((problem, i) => {
    assert.match(problem.message, expected[i]!.message);
    assert.deepEqual({ line: problem.line, column: problem.column }, expected[i]!.at, `position of ${problem.pointer}: ${problem.message}`);
  });
  return result.problems;
}

describe('the example services', () => {
  const files = DEFINITIONS.map((p) => path.basename(p));

  it('are all there', () => {
    assert.deepEqual(files.sort(), ['birth-certificate-copy.yaml', 'business-licence.yaml', 'construction-permit.yaml', 'public-complaint.yaml']);
  });

  for (const file of files) {
    it(`${file} is valid, with the demo roles and agencies`, () => {
      const result = validateDefinitionSource(example(file), context);
      assert.deepEqual(result.problems, []);
      assert.equal(result.definition?.id, file.replace(/\.ya?ml$/, ''), 'the file is named after the service');
    });
  }
});

describe('a broken definition is refused with the JSON pointer, line and column of each problem', () => {
  it('an action going to a state that does not exist', () => {
    const source = broken('business-licence.yaml', [
      '          effects: [{ notify: information-requested }]\n',
      '          effects: [{ notify: information-requested }]\n        - id: reject\n          label: { en: Reject, fr: Rejeter, ar: رفض, sw: Kataa, ru: Отклонить, tg: Рад кардан }\n          to: rejected\n',
    ]);
    assertProblems(source, [{ pointer: '/workflow/states/0/actions/2/to', message: /^"rejected" is not a state of this workflow$/, at: positionOf(source, 'to: rejected', 'rejected') }]);
  });

  it('feedback asked after a state that does not exist', () => {
    const source = broken('business-licence.yaml', ['notifications:\n', 'feedback: { after: [inspection] }\nnotifications:\n']);
    assertProblems(source, [{ pointer: '/feedback/after/0', message: /^"inspection" is not a state of this workflow$/, at: positionOf(source, 'after: [inspection]', 'inspection') }]);
  });

  it('a state no path leads to', () => {
    const source = broken('business-licence.yaml', [
      '      outcome: withdrawn\n',
      '      outcome: withdrawn\n    - id: archived\n      label: { en: Archived, fr: Archivée, ar: مؤرشفة, sw: Imehifadhiwa, ru: В архиве, tg: Бойгонӣ шуд }\n      outcome: closed\n',
    ]);
    assertProblems(source, [{ pointer: '/workflow/states/7', message: /^the state "archived" cannot be reached from "completeness"$/, at: positionOf(source, 'id: archived') }]);
  });

  it('an action naming a role that does not exist', () => {
    const source = broken('business-licence.yaml', ['          to: granted\n', '          to: granted\n          by: { role: harbour-master }\n']);
    assertProblems(source, [{ pointer: '/workflow/states/3/actions/0/by/role', message: /^"harbour-master" is not a role \(known roles: admin, agency-head, officer/, at: positionOf(source, 'role: harbour-master', 'harbour-master') }]);
  });

  it('a fee formula over a field the form does not have', () => {
    const source = broken('business-licence.yaml', ['(areaM2 > 200 ? 5000 : 0)', '(surface > 200 ? 5000 : 0)']);
    assertProblems(source, [{ pointer: '/fees/items/0/amount', message: /^"surface" is not a form field or fee table$/, at: positionOf(source, '"lookup(categoryFee') }]);
  });

  for (const [locale, line] of [['ar', 'الرخصة التجارية'], ['sw', 'Leseni ya biashara'], ['ru', 'Лицензия на торговлю'], ['tg', 'Иҷозатномаи тиҷоратӣ']]) {
    it(`a text without one of the shipped languages (${locale})`, () => {
      const source = broken('business-licence.yaml', [`  ${locale}: ${line}\n`, '']);
      assertProblems(source, [{ pointer: '/title', message: new RegExp(`^missing the translation for ${locale}$`), at: positionOf(source, 'title:\n  en: Business licence', 'en') }]);
    });
  }

  it('YAML that does not parse', () => {
    const source = broken('business-licence.yaml', ['applicants: [person, organisation]', 'applicants: [person, organisation}']);
    assertProblems(source, [{ pointer: '', message: /end with a \]/, at: positionOf(source, 'organisation}', '}') }]);
  });

  it('a YAML alias, which could multiply a small text into a huge document', () => {
    const source = broken('business-licence.yaml', ['applicants: [person, organisation]', 'applicants: *who']);
    assertProblems(source, [{ pointer: '', message: /aliases \(\*who\) are not allowed/, at: positionOf(source, 'applicants: *who', '*who') }]);
  });

  it('a value of the wrong type', () => {
    const source = broken('business-licence.yaml', ['version: 1\n', 'version: one\n']);
    assertProblems(source, [{ pointer: '/version', message: /^must be integer$/, at: positionOf(source, 'version: one', 'one') }]);
  });

  it('two fields with the same id', () => {
    const source = broken('business-licence.yaml', ['        - id: seats\n', '        - id: employees\n']);
    assertProblems(source, [{ pointer: '/form/steps/0/fields/3/id', message: /^the field id "employees" is already used at \/form\/steps\/0\/fields\/2$/, at: positionOf(source, 'id: employees\n          type: integer\n          label: { en: Seats', 'employees') }]);
  });

  it('a final state with actions', () => {
    const source = broken('business-licence.yaml', [
      '      outcome: granted\n',
      '      outcome: granted\n      actions:\n        - id: reopen\n          label: { en: Reopen, fr: Rouvrir, ar: إعادة فتح, sw: Fungua tena, ru: Открыть снова, tg: Аз нав кушодан }\n          to: completeness\n',
    ]);
    assertProblems(source, [{ pointer: '/workflow/states/4/outcome', message: /^a final state \(with an outcome\) cannot have actions/, at: positionOf(source, 'outcome: granted', 'granted') }]);
  });

  it('a pre-check reading a rule table that does not exist', () => {
    const source = broken('construction-permit.yaml', ['rule: "height <= lookup(maxHeight, zone)"', 'rule: "height <= lookup(heightLimit, zone)"']);
    assertProblems(source, [{ pointer: '/checks/0/rule', message: /^"heightLimit" is not a form field or fee table$/, at: positionOf(source, '"height <= lookup(heightLimit') }]);
  });

  it('a pre-check message naming a figure it does not work out', () => {
    const source = broken('construction-permit.yaml', ['en: "Height {{height}} m exceeds the {{limit}} m', 'en: "Height {{height}} m exceeds the {{maximum}} m']);
    assertProblems(source, [{ pointer: '/checks/0/message/en', message: /^"\{\{maximum\}\}" is neither a form field nor one of the check's values$/, at: positionOf(source, '"Height {{height}} m exceeds the {{maximum}}') }]);
  });

  it('an inspection whose failure leads to a state that does not exist, and photos without the image types accepted', () => {
    const source = broken(
      'construction-permit.yaml',
      ["- { when: \"inputs.result == 'fail'\", to: objections }", "- { when: \"inputs.result == 'fail'\", to: objection }"],
      ['- { id: photos, type: photos, accept: [jpeg, png, webp], maxSizeMb: 10, maxFiles: 6, label: { en: Photos of the site,', '- { id: photos, type: photos, maxFiles: 6, label: { en: Photos of the site,'],
    );
    assertProblems(source, [
      { pointer: '/workflow/states/4/actions/0/inputs/1', message: /^photos need accept \(image types\) and maxSizeMb$/, at: positionOf(source, '- { id: photos, type: photos, maxFiles: 6', '{') },
      { pointer: '/workflow/states/4/actions/0/branches/0/to', message: /^"objection" is not a state of this workflow$/, at: positionOf(source, 'to: objection }', 'objection') },
    ]);
  });

  it('a visit booked on entering a final state, with nobody left to record it', () => {
    const source = broken('construction-permit.yaml', ['      outcome: granted\n      effects: [{ issue: occupancy-certificate }]', '      outcome: granted\n      effects: [{ issue: occupancy-certificate }, { book: { kind: inspector, durationMinutes: 30, title: { en: Visit, fr: Visite, ar: زيارة, sw: Ziara, ru: Визит, tg: Боздид } } }]']);
    assertProblems(source, [{ pointer: '/workflow/states/11/effects', message: /^a final state cannot book an appointment$/, at: positionOf(source, 'effects: [{ issue: occupancy-certificate }, { book', '[') }]);
  });

  it('a select without options points at the field', () => {
    const source = broken('business-licence.yaml', ['          type: text\n          label: { en: Trade name', '          type: select\n          label: { en: Trade name']);
    assertProblems(source, [{ pointer: '/form/steps/0/fields/0/options', message: /^a select field needs options$/, at: positionOf(source, 'id: tradeName', 'id') }]);
  });

  it('routing by a field that is not a select of agencies', () => {
    const source = broken('public-complaint.yaml', ['agencyFrom: agency }', 'agencyFrom: subject }']);
    assertProblems(source, [{ pointer: '/workflow/states/0/assignee/agencyFrom', message: /^"subject" must be a required, always-shown select or radio field whose values are agency codes$/, at: positionOf(source, 'agencyFrom: subject', 'subject') }]);
  });

  it('routing by a select with an option that is not an agency', () => {
    const source = broken('public-complaint.yaml', ['{ value: transport,', '{ value: ministry-of-fun,']);
    assertProblems(source, [{ pointer: '/form/steps/0/fields/0/options/7/value', message: /^no agency has code "ministry-of-fun"$/, at: positionOf(source, 'ministry-of-fun') }]);
  });
});

describe('daftari services validate', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daftari-validate-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function validate(...files: string[]): Promise<CliRun> {
    return runDaftari(['services', 'validate', ...files], { cwd: dir });
  }

  it('exits 0 for a valid file', async () => {
    fs.writeFileSync(path.join(dir, 'licence.yaml'), example('business-licence.yaml'));
    const run = await validate('licence.yaml');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'licence.yaml: valid (business-licence version 1)\n');
  });

  it('exits 1 for a broken file, with a file:line:column pointer: message line per problem', async () => {
    const source = broken('business-licence.yaml', ['version: 1\n', 'version: one\n'], ['lifeEvents: [business]\n', 'lifeEvents: [business]\ncolour: blue\n']);
    fs.writeFileSync(path.join(dir, 'broken.yaml'), source);
    const run = await validate('broken.yaml');
    assert.equal(run.code, 1, run.stderr);
    const version = positionOf(source, 'version: one', 'one');
    // An unknown property is placed at its value, on the line to fix.
    const colour = positionOf(source, 'colour: blue', 'colour');
    assert.deepEqual(run.stdout.split('\n').filter(Boolean), [
      'broken.yaml: 2 problems',
      `  broken.yaml:${colour.line}:${colour.column} /colour: "colour" is not a known property here`,
      `  broken.yaml:${version.line}:${version.column} /version: must be integer`,
    ]);
  });
});
