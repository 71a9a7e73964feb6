"""builder.guard (both runtimes): the structural check the node runs at boot instead of
the full rules, which run on the host."""

import json
import unittest

import builder
import wholetext


class Guard(unittest.TestCase):
    def test_a_good_config_passes_untouched(self):
        config = {'tcp': {'port': 1}, 'modules': [{'name': 'a', 'class': 'system'}]}
        self.assertEqual(builder.guard(config), [])
        self.assertEqual(config, {'tcp': {'port': 1},
                                  'modules': [{'name': 'a', 'class': 'system'}]})

    def test_sections_that_are_not_objects_are_left_out(self):
        config = {'tcp': [], 'access': 'all', 'modules': []}
        problems = builder.guard(config)
        self.assertEqual(len(problems), 2)
        self.assertEqual(config, {'modules': []})

    def test_modules_must_be_a_list(self):
        config = {'modules': {'name': 'a'}}
        self.assertEqual(builder.guard(config), ["'modules' must be a list"])
        self.assertEqual(config['modules'], [])

    def test_bad_module_entries_stand_in_error_under_their_own_name(self):
        config = {'modules': [{'name': 'a'}, 5, {'class': 'loop'}, {'name': 'a'}]}
        problems = builder.guard(config)
        self.assertEqual([m['name'] for m in config['modules']],
                         ['a', 'module1', 'module2', 'module3'])
        self.assertEqual(len(problems), 3)
        self.assertIn("'module3'", problems[2])     # how App finds a module's problems


class WholeCharacters(unittest.TestCase):
    """wholetext (load_config): a config that escapes a character beyond the BMP as a UTF-16
    surrogate pair (as Python's json.dumps does) gives one whole character."""

    def test_pairs_joined_lone_surrogates_replaced(self):
        config = wholetext.whole_characters(json.loads(
            '{"node": {"description": "x\\ud83c\\udf21y"}, '
            '"modules": [{"name": "\\ud83c", "d": ["z\\udf21", 5, "\\u00fcber"]}]}'))
        self.assertEqual(config['node']['description'], 'x\U0001f321y')
        self.assertEqual(config['node']['description'].encode(), b'x\xf0\x9f\x8c\xa1y')
        self.assertEqual(config['modules'][0]['name'], '\ufffd')
        self.assertEqual(config['modules'][0]['d'], ['z\ufffd', 5, '\u00fcber'])


class DefaultId(unittest.TestCase):
    def test_from_the_board_unique_id(self):
        class Board:
            unique_id = b'\x24\x0a\xc4\x00\x01\xff'
        self.assertEqual(builder.default_id(Board()), 'secop_240ac40001ff')

    def test_a_board_without_one(self):        # machine's, if the runtime has one
        self.assertTrue(builder.default_id(object()).startswith('secop_'))
