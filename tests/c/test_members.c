/* The members added with issue 3 that need no broker: LocalHost/LocalPort, ReadyToSend, the
 * message collections' API (NULLs, ranges, releasing), Interrupt and Reset while idle, and
 * the list of config settings. */
#define _GNU_SOURCE
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

TEST(local_host_and_port_set_and_get) {
    mqtt_t *m = new_client();
    CHECK_OK(mqtt_set_local_host(m, "127.0.0.1"));
    CHECK_STR(get_str(mqtt_get_local_host, m), "127.0.0.1");
    CHECK_OK(mqtt_set_local_host(m, ""));
    CHECK_STR(get_str(mqtt_get_local_host, m), "");
    CHECK_OK(mqtt_set_local_port(m, 65535));
    CHECK_INT(get_int(mqtt_get_local_port, m), 65535);
    CHECK_OK(mqtt_set_local_port(m, 0));
    CHECK_INT(get_int(mqtt_get_local_port, m), 0);
    CHECK_CODE(mqtt_set_local_port(m, 65536), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("65536");
    CHECK_ERR_HAS("LocalPort");
    CHECK_INT(get_int(mqtt_get_local_port, m), 0);
    CHECK_CODE(mqtt_set_local_host(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("mqtt_set_local_host");
    CHECK_CODE(mqtt_set_local_host(m, "bad\xff"), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("UTF-8");
    CHECK_CODE(mqtt_get_local_host(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_get_local_port(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_get_ready_to_send(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK(get_bool(mqtt_get_ready_to_send, m) == false);
}

TEST(collections_refuse_bad_arguments) {
    mqtt_t *m = new_client();
    CHECK_CODE(mqtt_get_incoming_message_count(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("count");
    CHECK_CODE(mqtt_get_outgoing_message_count(m, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_CODE(mqtt_get_incoming_message(m, 0, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("out-parameter");
    /* An index outside the collection: 10022 naming the index; the pointer is untouched. */
    mqtt_message sentinel, *msg = &sentinel;
    CHECK_CODE(mqtt_get_incoming_message(m, 0, &msg), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("index 0");
    CHECK_CODE(mqtt_get_outgoing_message(m, -1, &msg), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("index -1");
    CHECK(msg == &sentinel);
}

TEST(message_free_ignores_null) {
    mqtt_message_free(NULL);
}

TEST(interrupt_and_reset_while_idle) {
    rec *r = new_rec();
    mqtt_t *m = new_client();
    rec_attach(m, r);
    /* Interrupt with nothing in progress: returns 0 and the next call is not affected. */
    CHECK_OK(mqtt_interrupt(m));
    CHECK_OK(mqtt_disconnect(m));
    CHECK_OK(mqtt_set_client_id(m, "c-reset"));
    CHECK_OK(mqtt_config(m, "Retain=true", NULL));
    CHECK_OK(mqtt_reset(m));
    CHECK_STR(get_str(mqtt_get_client_id, m), "");
    CHECK_STR(config_get(m, "Retain"), "False");
    CHECK_INT(get_int(mqtt_get_timeout, m), 60); /* new_client had set 15 */
    CHECK_INT(r->errors, 0);
}

static int count_group(const mqtt_config_setting *const *list, int n, const char *group) {
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(list[i]->group, group) == 0) k++;
    return k;
}

TEST(config_settings_list) {
    const mqtt_config_setting *const *list = NULL;
    int n = -1;
    CHECK_OK(mqtt_config_settings(&list, &n));
    CHECK(list != NULL);
    CHECK(n > 0);
    CHECK(count_group(list, n, "mqtt") > 0);
    bool saw_session_present = false, saw_retain = false;
    for (int i = 0; i < n; i++) {
        CHECK(list[i]->name != NULL && list[i]->name[0] != 0);
        CHECK(list[i]->group != NULL);
        CHECK(list[i]->kind == MQTT_SETTING_BOOL || list[i]->kind == MQTT_SETTING_INT ||
              list[i]->kind == MQTT_SETTING_STRING);
        CHECK(list[i]->applies == MQTT_APPLIES_BOTH || list[i]->applies == MQTT_APPLIES_V311 ||
              list[i]->applies == MQTT_APPLIES_V5);
        if (strcmp(list[i]->name, "SessionPresent") == 0) {
            saw_session_present = true;
            CHECK(list[i]->read_only);
            CHECK_INT(list[i]->kind, MQTT_SETTING_BOOL);
        }
        if (strcmp(list[i]->name, "Retain") == 0) {
            saw_retain = true;
            CHECK(!list[i]->read_only);
        }
    }
    CHECK(saw_session_present && saw_retain);
    /* The same table every time: it belongs to the library and never moves. */
    const mqtt_config_setting *const *again = NULL;
    int n2 = 0;
    CHECK_OK(mqtt_config_settings(&again, &n2));
    CHECK(again == list && n2 == n);
    CHECK_CODE(mqtt_config_settings(NULL, &n), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("settings");
    CHECK_CODE(mqtt_config_settings(&list, NULL), MQTT_ERR_INVALID_ARGUMENT);
    CHECK_ERR_HAS("count");
}

/* SaveSession / RestoreSession need no connection: a new client's session is empty text that
 * restores; SessionStateFile is written by one and read by the other; a file that cannot be
 * written fails with 302 naming it. */
TEST(save_and_restore_session_without_a_broker) {
    mqtt_t *m = new_client();
    char *text = NULL;
    CHECK_OK(mqtt_save_session(m, &text));
    CHECK(text != NULL);
    CHECK_MSG(strstr(text, "\"format\":\"ferromq-session\"") != NULL, "SaveSession gave %s", text);
    char *copy = t_strdup(text);
    mqtt_string_free(text);

    mqtt_t *other = new_client();
    CHECK(get_bool(mqtt_get_clean_session, other));
    CHECK_OK(mqtt_restore_session(other, copy));
    CHECK(!get_bool(mqtt_get_clean_session, other));
    CHECK_INT(get_int(mqtt_get_outgoing_message_count, other), 0);

    char dir[] = "/tmp/ferromq-csession-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char file[128], setting[160];
    snprintf(file, sizeof file, "%s/state.json", dir);
    snprintf(setting, sizeof setting, "SessionStateFile=%s", file);
    CHECK_OK(mqtt_config(m, setting, NULL));
    text = NULL;
    int rc = mqtt_save_session(m, &text);
    mqtt_string_free(text);
    bool written = access(file, R_OK) == 0;
    mqtt_t *third = new_client();
    CHECK_OK(mqtt_config(third, setting, NULL));
    int rc_restore = mqtt_restore_session(third, "ignored: the file is read");
    unlink(file);
    rmdir(dir);
    CHECK_INT(rc, MQTT_OK);
    CHECK(written);
    CHECK_INT(rc_restore, MQTT_OK);
    CHECK(!get_bool(mqtt_get_clean_session, third));

    /* A directory that does not exist: the file cannot be written. */
    snprintf(setting, sizeof setting, "SessionStateFile=%s/state.json", dir);
    CHECK_OK(mqtt_config(m, setting, NULL));
    text = NULL;
    CHECK_CODE(mqtt_save_session(m, &text), MQTT_ERR_FILE);
    CHECK(text == NULL); /* untouched on failure */
    CHECK_ERR_HAS(dir);
}
