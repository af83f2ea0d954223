/** The demo's teams: fixed ids (so a demo token stays valid across reseeds) in different time zones. */
export interface DemoTeamSpec {
  id: string;
  name: string;
  timezone: string;
  /** Relative traffic volume. */
  volume: number;
  /** Builds a phone number from random digits. */
  phone: (digits: (n: number) => string) => string;
  accounts: ReadonlyArray<{ displayName: string | null }>;
  firstNames: readonly string[];
  lastNames: readonly string[];
}

export const DEMO_TEAM_ID = '11111111-1111-4111-8111-111111111111';

export const DEMO_TEAMS: readonly DemoTeamSpec[] = [
  {
    id: DEMO_TEAM_ID,
    name: 'Northwind Coffee',
    timezone: 'America/New_York', // observes DST
    volume: 1,
    phone: (d) => `+1212555${d(4)}`,
    accounts: [{ displayName: 'Northwind Support' }, { displayName: 'Northwind Orders' }, { displayName: 'Northwind Promotions' }],
    firstNames: ['James', 'Mary', 'Robert', 'Patricia', 'Michael', 'Jennifer', 'David', 'Linda', 'Carlos', 'Aisha', 'Kevin', 'Emily'],
    lastNames: ['Smith', 'Johnson', 'Williams', 'Brown', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Lee', 'Walker'],
  },
  {
    id: '22222222-2222-4222-8222-222222222222',
    name: 'Lindenhof Praxis',
    timezone: 'Europe/Berlin', // observes DST, on different dates than New York
    volume: 0.8,
    phone: (d) => `+4930${d(8)}`,
    accounts: [{ displayName: 'Terminvergabe' }, { displayName: null }],
    firstNames: ['Lukas', 'Anna', 'Leon', 'Marie', 'Felix', 'Sophie', 'Jonas', 'Emma', 'Elias', 'Mia'],
    lastNames: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann'],
  },
  {
    id: '33333333-3333-4333-8333-333333333333',
    name: 'Chai & Co',
    timezone: 'Asia/Kolkata', // UTC+05:30, no DST
    volume: 1.2,
    phone: (d) => `+9198${d(8)}`,
    accounts: [{ displayName: 'Chai & Co Mumbai' }, { displayName: 'Chai & Co Bengaluru' }, { displayName: 'Chai & Co Delivery' }],
    firstNames: ['Aarav', 'Priya', 'Vihaan', 'Ananya', 'Arjun', 'Diya', 'Rohan', 'Isha', 'Kabir', 'Meera'],
    lastNames: ['Sharma', 'Patel', 'Iyer', 'Reddy', 'Nair', 'Gupta', 'Singh', 'Kumar', 'Das'],
  },
  {
    id: '44444444-4444-4444-8444-444444444444',
    name: 'Orbit Freight',
    timezone: 'UTC',
    volume: 0.6,
    phone: (d) => `+447700${d(6)}`,
    accounts: [{ displayName: 'Orbit Tracking' }, { displayName: 'Orbit Sales' }],
    firstNames: ['Oliver', 'Amelia', 'Harry', 'Isla', 'George', 'Ava', 'Noah', 'Grace', 'Jack', 'Freya'],
    lastNames: ['Taylor', 'Evans', 'Thomas', 'Roberts', 'Wright', 'Hughes', 'Clarke', 'Hall'],
  },
];
