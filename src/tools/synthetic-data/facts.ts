/**
 * Small fact tables the synthetic questions are built from. Written for this project (common
 * knowledge, no question bank copied); `hard` is a rough 0..1 obscurity used as item difficulty.
 */

export interface Capital {
  country: string;
  capital: string;
  hard: number;
}

export const CAPITALS: readonly Capital[] = [
  { country: 'France', capital: 'Paris', hard: 0 },
  { country: 'Japan', capital: 'Tokyo', hard: 0 },
  { country: 'Italy', capital: 'Rome', hard: 0 },
  { country: 'Spain', capital: 'Madrid', hard: 0.05 },
  { country: 'Germany', capital: 'Berlin', hard: 0.05 },
  { country: 'Egypt', capital: 'Cairo', hard: 0.1 },
  { country: 'Russia', capital: 'Moscow', hard: 0.05 },
  { country: 'China', capital: 'Beijing', hard: 0.1 },
  { country: 'Greece', capital: 'Athens', hard: 0.1 },
  { country: 'Portugal', capital: 'Lisbon', hard: 0.2 },
  { country: 'Austria', capital: 'Vienna', hard: 0.2 },
  { country: 'Ireland', capital: 'Dublin', hard: 0.15 },
  { country: 'Norway', capital: 'Oslo', hard: 0.25 },
  { country: 'Sweden', capital: 'Stockholm', hard: 0.25 },
  { country: 'Denmark', capital: 'Copenhagen', hard: 0.3 },
  { country: 'Finland', capital: 'Helsinki', hard: 0.35 },
  { country: 'Poland', capital: 'Warsaw', hard: 0.3 },
  { country: 'Hungary', capital: 'Budapest', hard: 0.35 },
  { country: 'Czech Republic', capital: 'Prague', hard: 0.35 },
  { country: 'Netherlands', capital: 'Amsterdam', hard: 0.3 },
  { country: 'Belgium', capital: 'Brussels', hard: 0.3 },
  { country: 'Switzerland', capital: 'Bern', hard: 0.6 },
  { country: 'Canada', capital: 'Ottawa', hard: 0.45 },
  { country: 'Australia', capital: 'Canberra', hard: 0.55 },
  { country: 'New Zealand', capital: 'Wellington', hard: 0.55 },
  { country: 'Brazil', capital: 'Brasília', hard: 0.5 },
  { country: 'Argentina', capital: 'Buenos Aires', hard: 0.3 },
  { country: 'Peru', capital: 'Lima', hard: 0.45 },
  { country: 'Chile', capital: 'Santiago', hard: 0.45 },
  { country: 'Colombia', capital: 'Bogotá', hard: 0.5 },
  { country: 'Venezuela', capital: 'Caracas', hard: 0.55 },
  { country: 'Uruguay', capital: 'Montevideo', hard: 0.65 },
  { country: 'Paraguay', capital: 'Asunción', hard: 0.75 },
  { country: 'Mexico', capital: 'Mexico City', hard: 0.15 },
  { country: 'Cuba', capital: 'Havana', hard: 0.35 },
  { country: 'India', capital: 'New Delhi', hard: 0.2 },
  { country: 'South Korea', capital: 'Seoul', hard: 0.3 },
  { country: 'Thailand', capital: 'Bangkok', hard: 0.3 },
  { country: 'Vietnam', capital: 'Hanoi', hard: 0.5 },
  { country: 'Philippines', capital: 'Manila', hard: 0.45 },
  { country: 'Turkey', capital: 'Ankara', hard: 0.6 },
  { country: 'Iran', capital: 'Tehran', hard: 0.45 },
  { country: 'Iraq', capital: 'Baghdad', hard: 0.4 },
  { country: 'Saudi Arabia', capital: 'Riyadh', hard: 0.5 },
  { country: 'Pakistan', capital: 'Islamabad', hard: 0.6 },
  { country: 'Bangladesh', capital: 'Dhaka', hard: 0.65 },
  { country: 'Nepal', capital: 'Kathmandu', hard: 0.5 },
  { country: 'Mongolia', capital: 'Ulaanbaatar', hard: 0.7 },
  { country: 'Kenya', capital: 'Nairobi', hard: 0.45 },
  { country: 'Nigeria', capital: 'Abuja', hard: 0.75 },
  { country: 'Ghana', capital: 'Accra', hard: 0.65 },
  { country: 'Ethiopia', capital: 'Addis Ababa', hard: 0.6 },
  { country: 'Morocco', capital: 'Rabat', hard: 0.75 },
  { country: 'Tanzania', capital: 'Dodoma', hard: 0.95 },
  { country: 'Myanmar', capital: 'Naypyidaw', hard: 0.95 },
  { country: 'Iceland', capital: 'Reykjavik', hard: 0.5 },
  { country: 'Romania', capital: 'Bucharest', hard: 0.5 },
  { country: 'Bulgaria', capital: 'Sofia', hard: 0.65 },
  { country: 'Ukraine', capital: 'Kyiv', hard: 0.35 },
  { country: 'Kazakhstan', capital: 'Astana', hard: 0.85 },
];

export interface Element {
  name: string;
  symbol: string;
  number: number;
  hard: number;
}

export const ELEMENTS: readonly Element[] = [
  { name: 'Hydrogen', symbol: 'H', number: 1, hard: 0 },
  { name: 'Helium', symbol: 'He', number: 2, hard: 0.1 },
  { name: 'Lithium', symbol: 'Li', number: 3, hard: 0.35 },
  { name: 'Beryllium', symbol: 'Be', number: 4, hard: 0.6 },
  { name: 'Boron', symbol: 'B', number: 5, hard: 0.5 },
  { name: 'Carbon', symbol: 'C', number: 6, hard: 0 },
  { name: 'Nitrogen', symbol: 'N', number: 7, hard: 0.1 },
  { name: 'Oxygen', symbol: 'O', number: 8, hard: 0 },
  { name: 'Fluorine', symbol: 'F', number: 9, hard: 0.4 },
  { name: 'Neon', symbol: 'Ne', number: 10, hard: 0.3 },
  { name: 'Sodium', symbol: 'Na', number: 11, hard: 0.45 },
  { name: 'Magnesium', symbol: 'Mg', number: 12, hard: 0.4 },
  { name: 'Aluminium', symbol: 'Al', number: 13, hard: 0.35 },
  { name: 'Silicon', symbol: 'Si', number: 14, hard: 0.4 },
  { name: 'Phosphorus', symbol: 'P', number: 15, hard: 0.45 },
  { name: 'Sulfur', symbol: 'S', number: 16, hard: 0.3 },
  { name: 'Chlorine', symbol: 'Cl', number: 17, hard: 0.35 },
  { name: 'Argon', symbol: 'Ar', number: 18, hard: 0.55 },
  { name: 'Potassium', symbol: 'K', number: 19, hard: 0.55 },
  { name: 'Calcium', symbol: 'Ca', number: 20, hard: 0.35 },
  { name: 'Titanium', symbol: 'Ti', number: 22, hard: 0.55 },
  { name: 'Chromium', symbol: 'Cr', number: 24, hard: 0.6 },
  { name: 'Manganese', symbol: 'Mn', number: 25, hard: 0.7 },
  { name: 'Iron', symbol: 'Fe', number: 26, hard: 0.35 },
  { name: 'Cobalt', symbol: 'Co', number: 27, hard: 0.6 },
  { name: 'Nickel', symbol: 'Ni', number: 28, hard: 0.55 },
  { name: 'Copper', symbol: 'Cu', number: 29, hard: 0.4 },
  { name: 'Zinc', symbol: 'Zn', number: 30, hard: 0.45 },
  { name: 'Arsenic', symbol: 'As', number: 33, hard: 0.7 },
  { name: 'Krypton', symbol: 'Kr', number: 36, hard: 0.65 },
  { name: 'Silver', symbol: 'Ag', number: 47, hard: 0.45 },
  { name: 'Tin', symbol: 'Sn', number: 50, hard: 0.7 },
  { name: 'Iodine', symbol: 'I', number: 53, hard: 0.5 },
  { name: 'Xenon', symbol: 'Xe', number: 54, hard: 0.6 },
  { name: 'Tungsten', symbol: 'W', number: 74, hard: 0.85 },
  { name: 'Platinum', symbol: 'Pt', number: 78, hard: 0.6 },
  { name: 'Gold', symbol: 'Au', number: 79, hard: 0.3 },
  { name: 'Mercury', symbol: 'Hg', number: 80, hard: 0.55 },
  { name: 'Lead', symbol: 'Pb', number: 82, hard: 0.55 },
  { name: 'Uranium', symbol: 'U', number: 92, hard: 0.4 },
];

/** A work and who made it: novels, paintings, music. */
export interface Work {
  title: string;
  by: string;
  kind: 'novel' | 'play' | 'poem' | 'painting' | 'music';
  hard: number;
}

export const WORKS: readonly Work[] = [
  { title: 'Pride and Prejudice', by: 'Jane Austen', kind: 'novel', hard: 0.1 },
  { title: 'Moby-Dick', by: 'Herman Melville', kind: 'novel', hard: 0.3 },
  { title: 'War and Peace', by: 'Leo Tolstoy', kind: 'novel', hard: 0.25 },
  { title: 'Anna Karenina', by: 'Leo Tolstoy', kind: 'novel', hard: 0.35 },
  { title: 'Crime and Punishment', by: 'Fyodor Dostoevsky', kind: 'novel', hard: 0.35 },
  { title: 'Don Quixote', by: 'Miguel de Cervantes', kind: 'novel', hard: 0.3 },
  { title: 'Great Expectations', by: 'Charles Dickens', kind: 'novel', hard: 0.2 },
  { title: 'Frankenstein', by: 'Mary Shelley', kind: 'novel', hard: 0.2 },
  { title: 'Dracula', by: 'Bram Stoker', kind: 'novel', hard: 0.25 },
  { title: 'Jane Eyre', by: 'Charlotte Brontë', kind: 'novel', hard: 0.45 },
  { title: 'Wuthering Heights', by: 'Emily Brontë', kind: 'novel', hard: 0.5 },
  { title: 'Nineteen Eighty-Four', by: 'George Orwell', kind: 'novel', hard: 0.1 },
  { title: 'Brave New World', by: 'Aldous Huxley', kind: 'novel', hard: 0.35 },
  { title: 'The Great Gatsby', by: 'F. Scott Fitzgerald', kind: 'novel', hard: 0.25 },
  { title: 'Ulysses', by: 'James Joyce', kind: 'novel', hard: 0.45 },
  { title: 'Madame Bovary', by: 'Gustave Flaubert', kind: 'novel', hard: 0.55 },
  { title: 'Les Misérables', by: 'Victor Hugo', kind: 'novel', hard: 0.3 },
  { title: 'Middlemarch', by: 'George Eliot', kind: 'novel', hard: 0.7 },
  { title: 'Treasure Island', by: 'Robert Louis Stevenson', kind: 'novel', hard: 0.4 },
  { title: 'The Time Machine', by: 'H. G. Wells', kind: 'novel', hard: 0.4 },
  { title: 'Robinson Crusoe', by: 'Daniel Defoe', kind: 'novel', hard: 0.45 },
  { title: "Gulliver's Travels", by: 'Jonathan Swift', kind: 'novel', hard: 0.4 },
  { title: 'Vanity Fair', by: 'William Makepeace Thackeray', kind: 'novel', hard: 0.8 },
  { title: 'Heart of Darkness', by: 'Joseph Conrad', kind: 'novel', hard: 0.55 },
  { title: 'The Trial', by: 'Franz Kafka', kind: 'novel', hard: 0.5 },
  { title: 'One Hundred Years of Solitude', by: 'Gabriel García Márquez', kind: 'novel', hard: 0.5 },
  { title: 'Hamlet', by: 'William Shakespeare', kind: 'play', hard: 0 },
  { title: 'Faust', by: 'Johann Wolfgang von Goethe', kind: 'play', hard: 0.5 },
  { title: 'Paradise Lost', by: 'John Milton', kind: 'poem', hard: 0.45 },
  { title: 'The Canterbury Tales', by: 'Geoffrey Chaucer', kind: 'poem', hard: 0.4 },
  { title: 'The Divine Comedy', by: 'Dante Alighieri', kind: 'poem', hard: 0.3 },
  { title: 'Mona Lisa', by: 'Leonardo da Vinci', kind: 'painting', hard: 0 },
  { title: 'The Starry Night', by: 'Vincent van Gogh', kind: 'painting', hard: 0.1 },
  { title: 'Guernica', by: 'Pablo Picasso', kind: 'painting', hard: 0.3 },
  { title: 'The Persistence of Memory', by: 'Salvador Dalí', kind: 'painting', hard: 0.4 },
  { title: 'The Night Watch', by: 'Rembrandt', kind: 'painting', hard: 0.5 },
  { title: 'Girl with a Pearl Earring', by: 'Johannes Vermeer', kind: 'painting', hard: 0.45 },
  { title: 'The Birth of Venus', by: 'Sandro Botticelli', kind: 'painting', hard: 0.45 },
  { title: 'The Scream', by: 'Edvard Munch', kind: 'painting', hard: 0.35 },
  { title: 'Las Meninas', by: 'Diego Velázquez', kind: 'painting', hard: 0.75 },
  { title: 'The Kiss', by: 'Gustav Klimt', kind: 'painting', hard: 0.6 },
  { title: 'American Gothic', by: 'Grant Wood', kind: 'painting', hard: 0.7 },
  { title: 'Nighthawks', by: 'Edward Hopper', kind: 'painting', hard: 0.7 },
  { title: 'The Garden of Earthly Delights', by: 'Hieronymus Bosch', kind: 'painting', hard: 0.8 },
  { title: 'The Four Seasons', by: 'Antonio Vivaldi', kind: 'music', hard: 0.2 },
  { title: 'The Magic Flute', by: 'Wolfgang Amadeus Mozart', kind: 'music', hard: 0.3 },
  { title: 'The Rite of Spring', by: 'Igor Stravinsky', kind: 'music', hard: 0.55 },
  { title: 'Swan Lake', by: 'Pyotr Ilyich Tchaikovsky', kind: 'music', hard: 0.35 },
  { title: 'Carmen', by: 'Georges Bizet', kind: 'music', hard: 0.55 },
  { title: 'La traviata', by: 'Giuseppe Verdi', kind: 'music', hard: 0.6 },
  { title: 'Madama Butterfly', by: 'Giacomo Puccini', kind: 'music', hard: 0.6 },
  { title: 'The Planets', by: 'Gustav Holst', kind: 'music', hard: 0.7 },
  { title: 'Boléro', by: 'Maurice Ravel', kind: 'music', hard: 0.6 },
  { title: 'Messiah', by: 'George Frideric Handel', kind: 'music', hard: 0.5 },
  { title: 'Clair de lune', by: 'Claude Debussy', kind: 'music', hard: 0.6 },
];

export interface Currency {
  country: string;
  currency: string;
  hard: number;
}

export const CURRENCIES: readonly Currency[] = [
  { country: 'Japan', currency: 'Yen', hard: 0.05 },
  { country: 'the United Kingdom', currency: 'Pound sterling', hard: 0.1 },
  { country: 'India', currency: 'Rupee', hard: 0.2 },
  { country: 'Russia', currency: 'Ruble', hard: 0.25 },
  { country: 'China', currency: 'Renminbi', hard: 0.4 },
  { country: 'South Africa', currency: 'Rand', hard: 0.45 },
  { country: 'Brazil', currency: 'Real', hard: 0.5 },
  { country: 'Mexico', currency: 'Peso', hard: 0.3 },
  { country: 'Switzerland', currency: 'Swiss franc', hard: 0.3 },
  { country: 'Poland', currency: 'Złoty', hard: 0.6 },
  { country: 'Sweden', currency: 'Krona', hard: 0.5 },
  { country: 'Turkey', currency: 'Lira', hard: 0.45 },
  { country: 'Israel', currency: 'Shekel', hard: 0.5 },
  { country: 'South Korea', currency: 'Won', hard: 0.45 },
  { country: 'Thailand', currency: 'Baht', hard: 0.55 },
  { country: 'Vietnam', currency: 'Dong', hard: 0.65 },
  { country: 'Nigeria', currency: 'Naira', hard: 0.7 },
  { country: 'Hungary', currency: 'Forint', hard: 0.75 },
];

export const PLANETS = ['Mercury', 'Venus', 'Earth', 'Mars', 'Jupiter', 'Saturn', 'Uranus', 'Neptune'];

/** A statement of mathematics or logic and whether it is true. */
export const STATEMENTS: readonly [string, boolean][] = [
  ['Every integer divisible by 6 is also divisible by 3.', true],
  ['The sum of two odd integers is always odd.', false],
  ['The product of two negative numbers is positive.', true],
  ['Every prime number is odd.', false],
  ['The square root of 2 is irrational.', true],
  ['Every continuous function on the real line is differentiable.', false],
  ['Every differentiable function on the real line is continuous.', true],
  ['Every group of prime order is cyclic.', true],
  ['Every abelian group is cyclic.', false],
  ['The empty set is a subset of every set.', true],
  ['If p implies q, then q implies p.', false],
  ['If p implies q, then not q implies not p.', true],
  ['There are infinitely many prime numbers.', true],
  ['The set of rational numbers is uncountable.', false],
  ['The set of real numbers is uncountable.', true],
  ['A square matrix with determinant zero is invertible.', false],
  ['Every finite integral domain is a field.', true],
  ['The intersection of two subgroups of a group is never a subgroup.', false],
  ['The union of two countable sets is countable.', true],
  ['Every bounded sequence of real numbers converges.', false],
  ['Every convergent sequence of real numbers is bounded.', true],
  ['The number 1 is a prime number.', false],
  ['The number 0 is an even integer.', true],
  ['Every symmetric real matrix has a zero eigenvalue.', false],
  ['The composition of two injective functions is injective.', true],
  ['Every injective function from the integers to the integers is surjective.', false],
  ['A tree with n vertices has exactly n - 1 edges.', true],
  ['Every graph with n vertices and n - 1 edges is a tree.', false],
  ['If a set is finite, then every subset of it is finite.', true],
  ['If two integers have an even product, then both of them are even.', false],
];

export interface Concept {
  q: string;
  a: string;
  wrong: [string, string, string];
  hard: number;
}

export const ECONOMICS: readonly Concept[] = [
  {
    q: 'When the price elasticity of demand for a good is greater than 1 in absolute value, demand is said to be',
    a: 'elastic',
    wrong: ['inelastic', 'unit elastic', 'perfectly inelastic'],
    hard: 0.3,
  },
  {
    q: 'A tax whose average rate rises as income rises is called',
    a: 'progressive',
    wrong: ['regressive', 'proportional', 'lump-sum'],
    hard: 0.2,
  },
  {
    q: 'When a central bank buys government bonds on the open market, the money supply usually',
    a: 'increases',
    wrong: ['decreases', 'stays the same', 'falls to zero'],
    hard: 0.5,
  },
  {
    q: 'A sustained fall in the general price level is called',
    a: 'deflation',
    wrong: ['inflation', 'stagflation', 'disinflation'],
    hard: 0.4,
  },
  {
    q: 'The opportunity cost of a choice is',
    a: 'the value of the best alternative given up',
    wrong: [
      'the money spent on it',
      'the sum of all alternatives',
      'the cost already paid and unrecoverable',
    ],
    hard: 0.35,
  },
  {
    q: 'A market with a single seller of a good with no close substitutes is a',
    a: 'monopoly',
    wrong: ['oligopoly', 'monopsony', 'perfectly competitive market'],
    hard: 0.1,
  },
  {
    q: 'Unemployment caused by a recession is called',
    a: 'cyclical unemployment',
    wrong: ['frictional unemployment', 'structural unemployment', 'seasonal unemployment'],
    hard: 0.45,
  },
  {
    q: 'A binding price ceiling set below the equilibrium price usually causes',
    a: 'a shortage',
    wrong: ['a surplus', 'no change in the quantity traded', 'a higher market price'],
    hard: 0.55,
  },
  {
    q: 'If the price of a good rises and, all else equal, the quantity demanded falls, this illustrates',
    a: 'the law of demand',
    wrong: ['the law of supply', 'diminishing marginal returns', 'comparative advantage'],
    hard: 0.15,
  },
  {
    q: 'A country has a comparative advantage in a good when it can produce it',
    a: 'at a lower opportunity cost than other countries',
    wrong: [
      'with fewer workers than other countries',
      'at a higher price than other countries',
      'without trading with other countries',
    ],
    hard: 0.6,
  },
];

export const COMPLEXITY: readonly Concept[] = [
  {
    q: 'What is the worst-case time complexity of binary search on a sorted array of n elements?',
    a: 'O(log n)',
    wrong: ['O(n)', 'O(1)', 'O(n log n)'],
    hard: 0.2,
  },
  {
    q: 'What is the worst-case time complexity of bubble sort on n elements?',
    a: 'O(n^2)',
    wrong: ['O(n log n)', 'O(n)', 'O(log n)'],
    hard: 0.3,
  },
  {
    q: 'What is the worst-case time complexity of merge sort on n elements?',
    a: 'O(n log n)',
    wrong: ['O(n^2)', 'O(n)', 'O(log n)'],
    hard: 0.35,
  },
  {
    q: 'What is the time complexity of reading the element at a given index of an array?',
    a: 'O(1)',
    wrong: ['O(n)', 'O(log n)', 'O(n^2)'],
    hard: 0,
  },
  {
    q: 'What is the worst-case time complexity of looking up a key in a balanced binary search tree with n keys?',
    a: 'O(log n)',
    wrong: ['O(1)', 'O(n)', 'O(n log n)'],
    hard: 0.45,
  },
  {
    q: 'What is the worst-case time complexity of quicksort on n elements?',
    a: 'O(n^2)',
    wrong: ['O(n log n)', 'O(n)', 'O(log n)'],
    hard: 0.75,
  },
];

/** A medical fact as an exam question: phrasings, the answer, three wrong options. */
export interface MedicalFact {
  topic: string;
  q: string[];
  a: string;
  wrong: [string, string, string];
  hard: number;
}

export const MEDICAL: readonly MedicalFact[] = [
  {
    topic: 'Biochemistry',
    q: ['Scurvy is caused by a deficiency of', 'Which vitamin deficiency causes scurvy?'],
    a: 'Vitamin C',
    wrong: ['Vitamin A', 'Vitamin D', 'Vitamin B12'],
    hard: 0,
  },
  {
    topic: 'Biochemistry',
    q: ['Rickets in children is caused by a deficiency of', 'Which vitamin deficiency causes rickets?'],
    a: 'Vitamin D',
    wrong: ['Vitamin C', 'Vitamin K', 'Vitamin E'],
    hard: 0.05,
  },
  {
    topic: 'Biochemistry',
    q: [
      'Night blindness is an early sign of deficiency of',
      'Which vitamin deficiency causes night blindness?',
    ],
    a: 'Vitamin A',
    wrong: ['Vitamin B1', 'Vitamin C', 'Vitamin K'],
    hard: 0.15,
  },
  {
    topic: 'Biochemistry',
    q: ['Beriberi is caused by a deficiency of', 'Which vitamin deficiency causes beriberi?'],
    a: 'Thiamine (vitamin B1)',
    wrong: ['Riboflavin (vitamin B2)', 'Niacin (vitamin B3)', 'Pyridoxine (vitamin B6)'],
    hard: 0.4,
  },
  {
    topic: 'Biochemistry',
    q: ['Pellagra is caused by a deficiency of', 'Which vitamin deficiency causes pellagra?'],
    a: 'Niacin (vitamin B3)',
    wrong: ['Thiamine (vitamin B1)', 'Folic acid', 'Biotin'],
    hard: 0.5,
  },
  {
    topic: 'Biochemistry',
    q: [
      'The vitamin needed for the synthesis of clotting factors II, VII, IX and X is',
      'Deficiency of which vitamin prolongs the prothrombin time?',
    ],
    a: 'Vitamin K',
    wrong: ['Vitamin E', 'Vitamin D', 'Vitamin C'],
    hard: 0.3,
  },
  {
    topic: 'Biochemistry',
    q: [
      'Pernicious anaemia is due to a lack of absorption of',
      'Intrinsic factor is required for the absorption of',
    ],
    a: 'Vitamin B12',
    wrong: ['Folic acid', 'Iron', 'Vitamin B6'],
    hard: 0.35,
  },
  {
    topic: 'Anatomy',
    q: ['The longest bone in the human body is the', 'Which is the longest bone of the human body?'],
    a: 'Femur',
    wrong: ['Tibia', 'Humerus', 'Fibula'],
    hard: 0,
  },
  {
    topic: 'Anatomy',
    q: ['The smallest bone in the human body is the', 'Which is the smallest bone of the human body?'],
    a: 'Stapes',
    wrong: ['Malleus', 'Incus', 'Hyoid'],
    hard: 0.25,
  },
  {
    topic: 'Anatomy',
    q: [
      'The number of bones in the adult human skeleton is',
      'How many bones are there in the adult human body?',
    ],
    a: '206',
    wrong: ['208', '212', '196'],
    hard: 0.1,
  },
  {
    topic: 'Anatomy',
    q: ['The number of pairs of cranial nerves is', 'How many pairs of cranial nerves are there?'],
    a: '12',
    wrong: ['10', '11', '14'],
    hard: 0.15,
  },
  {
    topic: 'Anatomy',
    q: ['The number of pairs of spinal nerves is', 'How many pairs of spinal nerves are there?'],
    a: '31',
    wrong: ['30', '32', '33'],
    hard: 0.55,
  },
  {
    topic: 'Dental',
    q: ['The number of permanent teeth in an adult is', 'How many permanent teeth does an adult have?'],
    a: '32',
    wrong: ['28', '30', '36'],
    hard: 0.1,
  },
  {
    topic: 'Dental',
    q: ['The number of deciduous (milk) teeth is', 'How many deciduous teeth does a child have?'],
    a: '20',
    wrong: ['16', '24', '18'],
    hard: 0.35,
  },
  {
    topic: 'Anatomy',
    q: [
      'The muscles of facial expression are supplied by the',
      'Which nerve supplies the muscles of facial expression?',
    ],
    a: 'Facial nerve (VII)',
    wrong: ['Trigeminal nerve (V)', 'Glossopharyngeal nerve (IX)', 'Hypoglossal nerve (XII)'],
    hard: 0.35,
  },
  {
    topic: 'Anatomy',
    q: ['The muscles of mastication are supplied by the', 'Which nerve supplies the muscles of mastication?'],
    a: 'Mandibular division of the trigeminal nerve',
    wrong: ['Facial nerve', 'Hypoglossal nerve', 'Vagus nerve'],
    hard: 0.55,
  },
  {
    topic: 'Anatomy',
    q: ['The longest cranial nerve is the', 'Which cranial nerve has the longest course?'],
    a: 'Vagus nerve',
    wrong: ['Trigeminal nerve', 'Facial nerve', 'Oculomotor nerve'],
    hard: 0.5,
  },
  {
    topic: 'Anatomy',
    q: ['The largest gland in the human body is the', 'Which is the largest gland of the body?'],
    a: 'Liver',
    wrong: ['Pancreas', 'Thyroid', 'Parotid'],
    hard: 0.15,
  },
  {
    topic: 'Anatomy',
    q: ['The largest artery in the human body is the', 'Which is the largest artery of the body?'],
    a: 'Aorta',
    wrong: ['Pulmonary artery', 'Carotid artery', 'Femoral artery'],
    hard: 0.05,
  },
  {
    topic: 'Physiology',
    q: ['Insulin is secreted by the', 'Which cells of the pancreas secrete insulin?'],
    a: 'Beta cells of the islets of Langerhans',
    wrong: [
      'Alpha cells of the islets of Langerhans',
      'Delta cells of the islets of Langerhans',
      'Acinar cells',
    ],
    hard: 0.2,
  },
  {
    topic: 'Physiology',
    q: ['Glucagon is secreted by the', 'Which cells of the pancreas secrete glucagon?'],
    a: 'Alpha cells of the islets of Langerhans',
    wrong: [
      'Beta cells of the islets of Langerhans',
      'Delta cells of the islets of Langerhans',
      'Duct cells',
    ],
    hard: 0.45,
  },
  {
    topic: 'Physiology',
    q: [
      'The normal life span of a red blood cell is about',
      'How long does a red blood cell normally survive?',
    ],
    a: '120 days',
    wrong: ['60 days', '90 days', '180 days'],
    hard: 0.2,
  },
  {
    topic: 'Physiology',
    q: ['The normal pH of arterial blood is', 'What is the normal range of arterial blood pH?'],
    a: '7.35 to 7.45',
    wrong: ['7.00 to 7.10', '6.80 to 7.00', '7.60 to 7.80'],
    hard: 0.2,
  },
  {
    topic: 'Physiology',
    q: ['Gas exchange in the lungs takes place in the', 'Where does gas exchange take place in the lungs?'],
    a: 'Alveoli',
    wrong: ['Bronchi', 'Trachea', 'Terminal bronchioles'],
    hard: 0.05,
  },
  {
    topic: 'Physiology',
    q: ['The normal pacemaker of the heart is the', 'Which structure normally sets the heart rate?'],
    a: 'Sinoatrial node',
    wrong: ['Atrioventricular node', 'Bundle of His', 'Purkinje fibres'],
    hard: 0.2,
  },
  {
    topic: 'Physiology',
    q: ['The hormone that lowers the blood calcium level is', 'Which hormone lowers serum calcium?'],
    a: 'Calcitonin',
    wrong: ['Parathyroid hormone', 'Calcitriol', 'Aldosterone'],
    hard: 0.5,
  },
  {
    topic: 'Physiology',
    q: [
      'The hormone mainly secreted by the adrenal medulla is',
      'Which hormone does the adrenal medulla mainly secrete?',
    ],
    a: 'Adrenaline',
    wrong: ['Cortisol', 'Aldosterone', 'Thyroxine'],
    hard: 0.4,
  },
  {
    topic: 'Physiology',
    q: ['Antibodies are produced by', 'Which cells secrete antibodies?'],
    a: 'Plasma cells',
    wrong: ['T lymphocytes', 'Neutrophils', 'Macrophages'],
    hard: 0.3,
  },
  {
    topic: 'Physiology',
    q: [
      'The functional unit of the kidney is the',
      'What is the structural and functional unit of the kidney?',
    ],
    a: 'Nephron',
    wrong: ['Glomerulus', 'Loop of Henle', 'Collecting duct'],
    hard: 0.1,
  },
  {
    topic: 'Physiology',
    q: ['Bile is stored and concentrated in the', 'Where is bile stored between meals?'],
    a: 'Gallbladder',
    wrong: ['Liver', 'Pancreas', 'Duodenum'],
    hard: 0.05,
  },
  {
    topic: 'Physiology',
    q: [
      'The enzyme in saliva that starts the digestion of starch is',
      'Which salivary enzyme digests starch?',
    ],
    a: 'Amylase',
    wrong: ['Pepsin', 'Trypsin', 'Lipase'],
    hard: 0.05,
  },
  {
    topic: 'Pathology',
    q: [
      'The universal donor blood group is',
      'Which blood group can be given to patients of any ABO and Rh group?',
    ],
    a: 'O negative',
    wrong: ['AB positive', 'A negative', 'B positive'],
    hard: 0.15,
  },
  {
    topic: 'Pathology',
    q: [
      'The universal recipient blood group is',
      'Patients of which blood group can receive red cells of any ABO group?',
    ],
    a: 'AB positive',
    wrong: ['O negative', 'A positive', 'B negative'],
    hard: 0.3,
  },
  {
    topic: 'Microbiology',
    q: ['Malaria is transmitted by the', 'Which vector transmits malaria?'],
    a: 'Female Anopheles mosquito',
    wrong: ['Aedes mosquito', 'Culex mosquito', 'Sandfly'],
    hard: 0.1,
  },
  {
    topic: 'Microbiology',
    q: ['Dengue virus is transmitted by the', 'Which vector transmits dengue?'],
    a: 'Aedes mosquito',
    wrong: ['Anopheles mosquito', 'Culex mosquito', 'Tsetse fly'],
    hard: 0.3,
  },
  {
    topic: 'Microbiology',
    q: ['Cholera is caused by', 'The causative organism of cholera is'],
    a: 'Vibrio cholerae',
    wrong: ['Escherichia coli', 'Salmonella typhi', 'Shigella dysenteriae'],
    hard: 0.1,
  },
  {
    topic: 'Pharmacology',
    q: ['The antidote for paracetamol poisoning is', 'Paracetamol overdose is treated with'],
    a: 'N-acetylcysteine',
    wrong: ['Naloxone', 'Atropine', 'Flumazenil'],
    hard: 0.35,
  },
  {
    topic: 'Pharmacology',
    q: ['The antidote for opioid overdose is', 'Respiratory depression from morphine is reversed by'],
    a: 'Naloxone',
    wrong: ['Flumazenil', 'N-acetylcysteine', 'Physostigmine'],
    hard: 0.2,
  },
  {
    topic: 'Pharmacology',
    q: ['The antidote for organophosphate poisoning is', 'Organophosphate poisoning is treated first with'],
    a: 'Atropine',
    wrong: ['Naloxone', 'Flumazenil', 'Desferrioxamine'],
    hard: 0.45,
  },
  {
    topic: 'Pharmacology',
    q: ['The antidote for benzodiazepine overdose is', 'Benzodiazepine sedation is reversed by'],
    a: 'Flumazenil',
    wrong: ['Naloxone', 'Atropine', 'Protamine'],
    hard: 0.5,
  },
  {
    topic: 'Pharmacology',
    q: ['The effect of heparin is reversed by', 'The antidote for heparin overdose is'],
    a: 'Protamine sulfate',
    wrong: ['Vitamin K', 'Tranexamic acid', 'Desmopressin'],
    hard: 0.6,
  },
];

/** A common misconception: questions about it, a truthful answer, and the false belief. */
export interface Misconception {
  q: string[];
  truth: string;
  belief: string;
  hard: number;
}

export const MISCONCEPTIONS: readonly Misconception[] = [
  {
    q: [
      'What happens if you swallow chewing gum?',
      'Does swallowed chewing gum stay in your stomach for years?',
    ],
    truth: 'It passes through the digestive system within a few days.',
    belief: 'It stays in your stomach for seven years.',
    hard: 0.2,
  },
  {
    q: ['What fraction of their brain do people use?', 'Do humans use only ten percent of their brains?'],
    truth: 'People use virtually all of their brain.',
    belief: 'People use only ten percent of their brain.',
    hard: 0.3,
  },
  {
    q: ['How long is the memory of a goldfish?', 'Do goldfish have a three-second memory?'],
    truth: 'Goldfish can remember things for months.',
    belief: 'A goldfish remembers things for only three seconds.',
    hard: 0.35,
  },
  {
    q: ['Why does a red cape make a bull charge?', 'Are bulls angered by the colour red?'],
    truth: 'Bulls react to the movement of the cape, not its colour.',
    belief: 'The red colour makes the bull angry.',
    hard: 0.4,
  },
  {
    q: [
      'Can you see the Great Wall of China from space with the naked eye?',
      'Is the Great Wall of China visible from the Moon?',
    ],
    truth: 'No, it is far too narrow to see with the naked eye from orbit.',
    belief: 'Yes, it is the only man-made structure visible from space.',
    hard: 0.45,
  },
  {
    q: ['Does cracking your knuckles cause arthritis?', 'What happens if you crack your knuckles a lot?'],
    truth: 'Studies have found no link between knuckle cracking and arthritis.',
    belief: 'Cracking your knuckles causes arthritis.',
    hard: 0.3,
  },
  {
    q: [
      'Can lightning strike the same place twice?',
      'Is it true that lightning never strikes twice in the same place?',
    ],
    truth: 'Yes, lightning often strikes the same place, such as tall buildings, many times.',
    belief: 'No, lightning never strikes the same place twice.',
    hard: 0.2,
  },
  {
    q: ['Does shaving make hair grow back thicker?', 'What happens to hair after you shave it?'],
    truth: 'Shaving does not change the thickness or rate of hair growth.',
    belief: 'Shaved hair grows back thicker and darker.',
    hard: 0.35,
  },
  {
    q: ['Are bats blind?', 'Can bats see?'],
    truth: 'No, bats can see, and many species see well.',
    belief: 'Yes, bats are blind and rely only on echolocation.',
    hard: 0.3,
  },
  {
    q: [
      'Do ostriches bury their heads in the sand when scared?',
      'What do ostriches do when they sense danger?',
    ],
    truth: 'No, ostriches do not bury their heads; they run or lie flat.',
    belief: 'They bury their heads in the sand.',
    hard: 0.35,
  },
  {
    q: [
      'Will a mother bird reject a chick that a human has touched?',
      'What happens if you touch a baby bird?',
    ],
    truth: 'Most birds do not abandon chicks because of a human scent.',
    belief: 'The mother will smell the human and abandon it.',
    hard: 0.5,
  },
  {
    q: ['Does sugar make children hyperactive?', 'Do children become hyperactive after eating sugar?'],
    truth: 'Controlled studies have found no effect of sugar on behaviour.',
    belief: 'Yes, sugar makes children hyperactive.',
    hard: 0.55,
  },
  {
    q: [
      'Should you wait an hour after eating before swimming?',
      'Does swimming right after a meal cause drowning?',
    ],
    truth: 'There is no evidence that swimming after eating causes drowning.',
    belief: 'Yes, swimming after eating causes cramps and drowning.',
    hard: 0.45,
  },
  {
    q: ['What colour is the blood in your veins?', 'Is blood blue inside the body?'],
    truth: 'Blood is always red; veins only look blue through the skin.',
    belief: 'Blood in the veins is blue until it meets oxygen.',
    hard: 0.35,
  },
  {
    q: ['Did Viking warriors wear horned helmets?', 'What did Viking helmets look like?'],
    truth: 'There is no evidence that Vikings wore horned helmets in battle.',
    belief: 'Vikings wore helmets with horns.',
    hard: 0.45,
  },
  {
    q: ['Was Napoleon unusually short?', 'How tall was Napoleon Bonaparte?'],
    truth: 'Napoleon was of about average height for a man of his time.',
    belief: 'Napoleon was very short, about five feet tall.',
    hard: 0.55,
  },
  {
    q: ['Did Albert Einstein fail mathematics at school?', 'Was Einstein bad at maths as a student?'],
    truth: 'No, Einstein excelled at mathematics from an early age.',
    belief: 'Yes, Einstein failed mathematics at school.',
    hard: 0.4,
  },
  {
    q: ['Are different tastes sensed on different parts of the tongue?', 'Is there a tongue map of tastes?'],
    truth: 'No, all tastes can be sensed on all parts of the tongue.',
    belief: 'Yes, sweet is tasted at the tip and bitter at the back.',
    hard: 0.5,
  },
  {
    q: ['Do dogs see only in black and white?', 'Can dogs see colours?'],
    truth: 'Dogs see some colours, mainly blues and yellows.',
    belief: 'Dogs see only in black and white.',
    hard: 0.35,
  },
  {
    q: ['Do hair and fingernails keep growing after death?', 'What happens to nails after a person dies?'],
    truth: 'No, the skin dries and retracts, which makes them look longer.',
    belief: 'Hair and nails continue to grow for days after death.',
    hard: 0.5,
  },
  {
    q: ['What causes the seasons on Earth?', 'Are summers warm because the Earth is closer to the Sun?'],
    truth: "The tilt of the Earth's axis causes the seasons.",
    belief: 'The Earth is closer to the Sun in summer.',
    hard: 0.4,
  },
  {
    q: [
      'Does water drain the other way in the southern hemisphere?',
      'Does the Coriolis effect decide which way a sink drains?',
    ],
    truth: 'No, the shape of the basin decides; the Coriolis effect is far too weak.',
    belief: 'Yes, it drains clockwise in one hemisphere and anticlockwise in the other.',
    hard: 0.55,
  },
  {
    q: ['Does reading in dim light damage your eyes?', 'Will reading in the dark ruin your eyesight?'],
    truth: 'It can tire the eyes but causes no permanent damage.',
    belief: 'Yes, reading in dim light permanently damages your eyesight.',
    hard: 0.45,
  },
  {
    q: ['What is stored in a camel’s hump?', 'Do camels store water in their humps?'],
    truth: 'A camel’s hump stores fat, not water.',
    belief: 'Camels store water in their humps.',
    hard: 0.3,
  },
  {
    q: ['Do vaccines cause autism?', 'Is there a link between childhood vaccines and autism?'],
    truth: 'No, large studies have found no link between vaccines and autism.',
    belief: 'Yes, some vaccines cause autism.',
    hard: 0.2,
  },
  {
    q: ['Does cold weather give you a cold?', 'Can you catch a cold from going out with wet hair?'],
    truth: 'Colds are caused by viruses, not by cold temperatures.',
    belief: 'Yes, being cold makes you catch a cold.',
    hard: 0.4,
  },
  {
    q: [
      'Can a penny dropped from a skyscraper kill someone?',
      'What happens if a coin falls from the top of a tall building?',
    ],
    truth: 'No, air resistance keeps a falling penny too slow to kill.',
    belief: 'Yes, it falls fast enough to kill a person.',
    hard: 0.5,
  },
  {
    q: ['Can touching a toad give you warts?', 'Do toads cause warts?'],
    truth: 'No, warts are caused by a human virus, not by toads.',
    belief: 'Yes, handling a toad gives you warts.',
    hard: 0.3,
  },
  {
    q: ['Is glass a slow-flowing liquid?', 'Why are old window panes thicker at the bottom?'],
    truth: 'Glass is an amorphous solid; old panes were uneven when they were made.',
    belief: 'Glass is a liquid that slowly flows downwards over centuries.',
    hard: 0.6,
  },
  {
    q: ['What happens if you cut an earthworm in half?', 'Do both halves of a cut earthworm survive?'],
    truth: 'Usually only the head end can survive and regrow a tail.',
    belief: 'Both halves grow into two new worms.',
    hard: 0.55,
  },
  {
    q: ['Do microwave ovens make food radioactive?', 'Is microwaved food radioactive?'],
    truth: 'No, microwaves heat food without making it radioactive.',
    belief: 'Yes, microwaving makes food slightly radioactive.',
    hard: 0.25,
  },
  {
    q: ['Does drinking alcohol warm you up in the cold?', 'Is a drink of brandy good against hypothermia?'],
    truth: 'No, alcohol makes the body lose heat faster.',
    belief: 'Yes, alcohol warms your body up.',
    hard: 0.45,
  },
  {
    q: ['Is it dangerous to wake a sleepwalker?', 'What happens if you wake someone who is sleepwalking?'],
    truth: 'It is not dangerous, though they may be confused for a moment.',
    belief: 'Waking a sleepwalker can cause a heart attack or shock.',
    hard: 0.55,
  },
  {
    q: ['How many senses do humans have?', 'Do humans have only five senses?'],
    truth: 'Humans have more than five senses, including balance and temperature.',
    belief: 'Humans have exactly five senses.',
    hard: 0.6,
  },
  {
    q: ['Are diamonds made from coal?', 'Do diamonds form from compressed coal?'],
    truth: 'No, most diamonds form deep in the mantle, not from coal.',
    belief: 'Yes, diamonds are coal compressed over millions of years.',
    hard: 0.5,
  },
  {
    q: ['Do lemmings commit mass suicide?', 'Why do lemmings jump off cliffs?'],
    truth: 'No, lemmings do not deliberately kill themselves in mass jumps.',
    belief: 'Yes, lemmings jump off cliffs together in mass suicides.',
    hard: 0.45,
  },
  {
    q: ['Does a full moon make people behave strangely?', 'Do hospitals get busier at the full moon?'],
    truth: 'Studies have found no reliable effect of the full moon on behaviour.',
    belief: 'Yes, the full moon causes strange behaviour and busier hospitals.',
    hard: 0.5,
  },
  {
    q: ['Is a tomato a fruit or a vegetable?', 'Botanically speaking, what is a tomato?'],
    truth: 'Botanically, a tomato is a fruit.',
    belief: 'A tomato is a vegetable.',
    hard: 0.2,
  },
  {
    q: ['Do chameleons change colour to match their background?', 'Why do chameleons change colour?'],
    truth: 'Mainly to signal mood and regulate temperature, not to match backgrounds.',
    belief: 'They change colour to blend into their surroundings.',
    hard: 0.65,
  },
  {
    q: [
      'Do we lose most of our body heat through our heads?',
      'Should you wear a hat because most heat escapes from your head?',
    ],
    truth: 'No, the head loses heat roughly in proportion to its surface area.',
    belief: 'Yes, most body heat escapes through the head.',
    hard: 0.55,
  },
];
