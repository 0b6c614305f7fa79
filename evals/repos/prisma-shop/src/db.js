const { PrismaClient } = require('@prisma/client');

// One client per process: Prisma pools connections itself.
const prisma = new PrismaClient();

module.exports = { prisma };
