export { ussdRoutes, USSD_PATH } from './routes.ts';
export { nextScreen, SCREEN_MAX, LANGUAGE_CHOICES, type MenuCase, type MenuDeps, type MenuRequest } from './menu.ts';
