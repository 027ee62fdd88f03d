const { NestFactory } = require('@nestjs/core');
const { SwaggerModule, DocumentBuilder } = require('@nestjs/swagger');
const { cleanupOpenApiDoc } = require('nestjs-zod');
process.env.GATEHOUSE_DATA_DIR = '/tmp/gh1/.gatehouse';
const { loadConfig } = require('../dist/libs/config/src');
const { ApiModule } = require('../dist/apps/api/src/api.module');
(async () => {
  const app = await NestFactory.create(ApiModule.forRoot(loadConfig()), { logger: false });
  const doc = SwaggerModule.createDocument(app, new DocumentBuilder().build());
  try {
    cleanupOpenApiDoc(doc);
    console.log('ok');
  } catch (e) {
    console.log(e.message);
  }
  await app.close();
})();
