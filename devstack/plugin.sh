#!/bin/bash
#
# plugin.sh - DevStack plugin for nova-miglock
#
# Stack phases and what runs in each:
#
#   stack install      install_nova_miglock
#   stack post-config  configure_nova_miglock, init_nova_miglock
#   stack extra        start_nova_miglock
#   stack test-config  configure_nova_miglock_tests
#   unstack            stop_nova_miglock
#   clean              cleanup_nova_miglock
#
# Which node does what follows devstack's own lib/nova: the lock store is
# created and migrated, and the listener runs, only where lib/nova creates
# Nova's databases (a database backend and n-api enabled); api-paste.ini
# is edited only where lib/nova copies it (n-api*); the host agent and the
# hook run only where n-cpu runs. A compute subnode therefore never
# recreates (drops) the controller's store.

# Save trace setting
_XTRACE_NOVA_MIGLOCK=$(set +o | grep xtrace)
set -o xtrace

function _nova_miglock_manage {
    "$(command -v nova-miglock-manage)" --config-file "$NOVA_CONF" \
        --config-file "$NOVA_MIGLOCK_CONF" "$@"
}

function is_nova_miglock_controller {
    is_service_enabled $DATABASE_BACKENDS && is_service_enabled n-api
}

function is_nova_miglock_compute {
    is_service_enabled miglock-compute && is_service_enabled n-cpu
}

function install_nova_miglock {
    setup_develop "$NOVA_MIGLOCK_DIR"
    if is_nova_miglock_compute; then
        # The host agent talks to libvirtd; devstack's libvirt layer has
        # installed libvirt-dev for Nova already.
        pip_install libvirt-python
    fi
}

# nova-miglock.conf: written first, so that every later command can read it.
function configure_nova_miglock_conf {
    sudo install -d -o "$STACK_USER" "$(dirname "$NOVA_MIGLOCK_CONF")"
    rm -f "$NOVA_MIGLOCK_CONF"
    iniset "$NOVA_MIGLOCK_CONF" miglock_database connection \
        "$(database_connection_url "$NOVA_MIGLOCK_DB_NAME")"
    iniset_rpc_backend nova "$NOVA_MIGLOCK_CONF" DEFAULT
    iniset "$NOVA_MIGLOCK_CONF" oslo_messaging_notifications driver \
        messagingv2
    iniset "$NOVA_MIGLOCK_CONF" miglock_compute libvirt_uri qemu:///system
    iniset "$NOVA_MIGLOCK_CONF" miglock_hook hooks_dir \
        "$NOVA_MIGLOCK_HOOKS_DIR"
    chmod 0640 "$NOVA_MIGLOCK_CONF"
}

# The listener's own Keystone account; the admin role on the service
# project (as Nova's own service user has) lets it read os-migrations.
function configure_nova_miglock_account {
    create_service_user "$NOVA_MIGLOCK_SERVICE_USER" admin
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova auth_type password
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova username \
        "$NOVA_MIGLOCK_SERVICE_USER"
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova password "$SERVICE_PASSWORD"
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova project_name \
        "$SERVICE_PROJECT_NAME"
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova user_domain_name \
        "$SERVICE_DOMAIN_NAME"
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova project_domain_name \
        "$SERVICE_DOMAIN_NAME"
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova region_name "$REGION_NAME"
}

# Nova's own files. configure-nova reads no configuration and loads no
# store: it edits text, keeping each file's owner and mode.
function configure_nova_for_miglock {
    local args=(--nova-conf "$NOVA_CONF")
    if [[ "$ENABLED_SERVICES" =~ "n-api" ]]; then
        args+=(--api-paste "$NOVA_API_PASTE_INI")
    fi
    if is_service_enabled n-api n-sch; then
        # The API filters and the scheduler filter read the store.
        args+=(--set-store "$(database_connection_url "$NOVA_MIGLOCK_DB_NAME")")
        iniset "$NOVA_CONF" miglock guest_locks "$NOVA_MIGLOCK_GUEST_LOCKS"
    fi
    "$(command -v nova-miglock-manage)" configure-nova "${args[@]}"
}

function configure_nova_miglock {
    configure_nova_miglock_conf
    if is_nova_miglock_controller; then
        configure_nova_miglock_account
    fi
    configure_nova_for_miglock
}

function init_nova_miglock {
    if is_nova_miglock_controller; then
        recreate_database "$NOVA_MIGLOCK_DB_NAME"
        _nova_miglock_manage db sync
    fi
}

function start_nova_miglock {
    if is_nova_miglock_compute; then
        if [[ "$NOVA_MIGLOCK_HOOK" == "True" ]]; then
            sudo "$(command -v nova-miglock-manage)" \
                --config-file "$NOVA_MIGLOCK_CONF" hook install \
                --pid-file "$NOVA_MIGLOCK_LIBVIRTD_PID_FILE"
        fi
        run_process miglock-compute \
            "$(command -v nova-miglock-compute) --config-file $NOVA_CONF \
            --config-file $NOVA_MIGLOCK_CONF" root root
    fi
    if is_nova_miglock_controller; then
        run_process miglock-listener \
            "$(command -v nova-miglock-listener) --config-file $NOVA_CONF \
            --config-file $NOVA_MIGLOCK_CONF"
    fi
}

function configure_nova_miglock_tests {
    # The integration tests need only a cloud in clouds.yaml, which
    # devstack writes; say how to run them.
    echo "nova-miglock integration tests: cd $NOVA_MIGLOCK_DIR &&"
    echo "  OS_CLOUD=devstack-admin python -m pytest tests/integration"
}

function stop_nova_miglock {
    stop_process miglock-listener
    stop_process miglock-compute
}

function cleanup_nova_miglock {
    if is_nova_miglock_compute && [[ "$NOVA_MIGLOCK_HOOK" == "True" ]] && \
            [[ -f "$NOVA_MIGLOCK_CONF" ]] && \
            command -v nova-miglock-manage >/dev/null; then
        sudo "$(command -v nova-miglock-manage)" \
            --config-file "$NOVA_MIGLOCK_CONF" hook uninstall \
            --pid-file "$NOVA_MIGLOCK_LIBVIRTD_PID_FILE" || true
    fi
    rm -f "$NOVA_MIGLOCK_CONF"
}

if is_service_enabled miglock-listener miglock-compute; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing nova-miglock"
        install_nova_miglock
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring nova-miglock"
        configure_nova_miglock
        init_nova_miglock
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting nova-miglock"
        start_nova_miglock
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        configure_nova_miglock_tests
    fi
    if [[ "$1" == "unstack" ]]; then
        stop_nova_miglock
    fi
    if [[ "$1" == "clean" ]]; then
        cleanup_nova_miglock
    fi
fi

# Restore xtrace
$_XTRACE_NOVA_MIGLOCK
