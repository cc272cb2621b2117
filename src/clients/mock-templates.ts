// Ready mock templates, selected by id when a service is registered through the API
// (`mockTemplate: "weather"`): an operation's input schema and a mock answering with a realistic,
// input-filled body (src/json-template.ts), so a frontend can be built before the real API exists.
import type { JsonSchema, MockConfig } from '../registry/types';

interface MockTemplate {
  id: string;
  description: string;
  /** The operation a service made from this template alone gets. */
  operation: string;
  input: JsonSchema;
  mock: MockConfig;
}

/** Real APIs of these kinds answer in tens to hundreds of milliseconds; a mock that answers at once hides loading states. */
const FAST_API_MS: [number, number] = [40, 180];
/** Rendering a document takes a while even on a good day. */
const RENDERING_MS: [number, number] = [300, 900];

export const MOCK_TEMPLATES: readonly MockTemplate[] = Object.freeze([
  {
    id: 'weather',
    description: 'Current conditions and a three-day forecast for a city.',
    operation: 'forecast',
    input: {
      type: 'object',
      required: ['city'],
      properties: { city: { type: 'string', minLength: 1 }, units: { type: 'string', enum: ['metric', 'imperial'] } },
    },
    mock: {
      latencyMs: FAST_API_MS,
      response: {
        location: { city: '{{input.city}}', requestId: '{{jobId}}' },
        units: '{{input.units}}',
        current: { temperature: 18.4, feelsLike: 17.9, humidity: 62, windSpeed: 14, condition: 'partly cloudy' },
        forecast: [
          { day: 1, high: 21, low: 12, condition: 'sunny', precipitationChance: 5 },
          { day: 2, high: 19, low: 11, condition: 'light rain', precipitationChance: 60 },
          { day: 3, high: 16, low: 9, condition: 'overcast', precipitationChance: 25 },
        ],
        summary: 'Partly cloudy in {{input.city}}, 18.4° now; rain likely tomorrow.',
      },
    },
  },
  {
    id: 'news',
    description: 'The latest headlines on a topic.',
    operation: 'headlines',
    input: {
      type: 'object',
      required: ['topic'],
      properties: { topic: { type: 'string', minLength: 1 }, limit: { type: 'integer', minimum: 1, maximum: 50 } },
    },
    mock: {
      latencyMs: FAST_API_MS,
      response: {
        topic: '{{input.topic}}',
        totalResults: 3,
        articles: [
          {
            id: '{{jobId}}-1',
            title: '{{input.topic}}: what changed this week',
            source: 'The Daily Wire Service',
            url: 'https://news.example.com/articles/{{jobId}}-1',
            publishedAt: '2026-01-15T08:30:00Z',
          },
          {
            id: '{{jobId}}-2',
            title: 'Analysts weigh in on {{input.topic}}',
            source: 'Market Observer',
            url: 'https://news.example.com/articles/{{jobId}}-2',
            publishedAt: '2026-01-15T07:10:00Z',
          },
          {
            id: '{{jobId}}-3',
            title: 'Five numbers that explain {{input.topic}}',
            source: 'Data Desk',
            url: 'https://news.example.com/articles/{{jobId}}-3',
            publishedAt: '2026-01-14T18:45:00Z',
          },
        ],
      },
    },
  },
  {
    id: 'document-generation',
    description: 'Renders a document from a template and data, and returns where to download it.',
    operation: 'render',
    input: {
      type: 'object',
      required: ['template', 'data'],
      properties: {
        template: { type: 'string', minLength: 1 },
        format: { type: 'string', enum: ['pdf', 'docx', 'html'] },
        data: { type: 'object' },
      },
    },
    mock: {
      latencyMs: RENDERING_MS,
      response: {
        documentId: 'doc_{{jobId}}',
        status: 'rendered',
        template: '{{input.template}}',
        format: '{{input.format}}',
        pages: 2,
        sizeBytes: 48213,
        downloadUrl: 'https://documents.example.com/{{jobId}}/{{input.template}}',
        expiresInSeconds: 3600,
        data: '{{input.data}}',
      },
    },
  },
  {
    id: 'data-validation',
    description: 'Checks a record (an e-mail address, a country, a VAT number) and reports each check.',
    operation: 'validate',
    input: {
      type: 'object',
      required: ['record'],
      properties: { record: { type: 'object' }, ruleset: { type: 'string' } },
    },
    mock: {
      latencyMs: FAST_API_MS,
      response: {
        validationId: 'val_{{jobId}}',
        ruleset: '{{input.ruleset}}',
        valid: true,
        record: '{{input.record}}',
        checks: [
          { field: 'email', rule: 'format', passed: true, value: '{{input.record.email}}' },
          { field: 'email', rule: 'mx-record', passed: true, value: '{{input.record.email}}' },
          { field: 'country', rule: 'iso-3166-1', passed: true, value: '{{input.record.country}}' },
        ],
        warnings: [],
      },
    },
  },
]);

export function mockTemplate(id: string): MockTemplate | undefined {
  return MOCK_TEMPLATES.find((t) => t.id === id);
}
